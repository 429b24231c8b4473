// The whatsapp function's /webhooks/events routes: the delivery log of the user's webhook events and redelivery.
import { invoke } from './api.ts';
import type { WebhookEventType } from './settings-api.ts';
import type { AppSupabase } from './supabase.ts';

export const WEBHOOK_EVENT_STATUSES = ['pending', 'delivering', 'delivered', 'dead'] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

export interface WebhookEvent {
  id: string;
  event_type: WebhookEventType;
  status: WebhookEventStatus;
  attempts: number;
  occurred_at: string;
  next_attempt_at: string;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
  dead_at: string | null;
  updated_at: string;
}

export interface WebhookDelivery {
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: string;
}

export interface WebhookEventDetail extends WebhookEvent {
  data: Record<string, unknown>;
  deliveries: WebhookDelivery[];
}

/** Only delivered and dead events can be redelivered: pending ones go out anyway. */
export const canRedeliver = (event: WebhookEvent) => event.status === 'delivered' || event.status === 'dead';

export function listWebhookEvents(
  supabase: AppSupabase,
  filter: { status?: WebhookEventStatus; cursor?: string; limit?: number },
): Promise<{ events: WebhookEvent[]; next_cursor: string | null }> {
  const query = new URLSearchParams({ limit: String(filter.limit ?? 25) });
  if (filter.status) query.set('status', filter.status);
  if (filter.cursor) query.set('cursor', filter.cursor);
  return invoke(supabase, `whatsapp/webhooks/events?${query}`, 'GET');
}

export function getWebhookEvent(supabase: AppSupabase, id: string): Promise<WebhookEventDetail> {
  return invoke(supabase, `whatsapp/webhooks/events/${encodeURIComponent(id)}`, 'GET');
}

export function redeliverWebhookEvent(supabase: AppSupabase, id: string): Promise<WebhookEvent> {
  return invoke(supabase, `whatsapp/webhooks/events/${encodeURIComponent(id)}/redeliver`, 'POST', {});
}

export function redeliverDeadWebhookEvents(supabase: AppSupabase): Promise<{ redelivered: string[] }> {
  return invoke(supabase, 'whatsapp/webhooks/events/redeliver', 'POST', { status: 'dead', limit: 1000 });
}
