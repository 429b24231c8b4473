// Supabase Realtime as a doorbell: an INSERT on session_commands or outbound_messages rings, and so does any
// change of a user's messaging settings (configuracion_mensajeria_usuario); so does every
// (re)subscribe, because Realtime does not replay what happened while it was away. The sweeps do the work.
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import type { Logger } from 'pino';
import WebSocket from 'ws';

export interface Doorbell {
  status(): string;
  stop(): Promise<void>;
}

export function startRealtimeDoorbell(url: string, serviceKey: string, ring: (why: string) => void, logger: Logger): Doorbell {
  let state = 'connecting';
  const client: SupabaseClient = createClient(url, serviceKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
  const channel: RealtimeChannel = client
    .channel('whatsapp-connector-doorbell')
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_commands' }, () => ring('command'))
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'outbound_messages' }, () => ring('outbound'))
    .on('postgres_changes', { event: '*', schema: 'public', table: 'configuracion_mensajeria_usuario' }, () => ring('settings'))
    .subscribe((status, error) => {
      const previous = state;
      state = status;
      if (status === 'SUBSCRIBED') {
        logger.info('Realtime doorbell subscribed');
        ring('subscribed');
      } else if (previous !== status) {
        logger.warn({ status, err: error }, 'Realtime doorbell unavailable: sweeps on the timer keep work moving');
      }
    });
  return {
    status: () => state,
    async stop() {
      await channel.unsubscribe().catch(() => {});
      await client.removeAllChannels().catch(() => {});
      client.realtime.disconnect();
    },
  };
}
