// WIRING POINT for Realtime (stack/realtime/, written separately): loaded when its index.ts exists,
// so the gateway runs without it. The interface below is the contract agreed for that module.
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { JwtKeys } from './keys.ts';
import type { ServiceRequest } from './gateway/index.ts';
import type { RealtimeLimits } from './realtime/limits.ts';

export interface RealtimeHandle {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** `/realtime/v1/api/…` (the REST broadcast); `path` is below `/realtime/v1`. */
  handleHttp(request: ServiceRequest): Promise<void>;
  close(): Promise<void>;
}

export type { RealtimeLimits } from './realtime/limits.ts';

type RealtimeOptions = { databaseUrl: string; jwtKeys: JwtKeys; logger: Logger; limits?: Partial<RealtimeLimits> };
type CreateRealtimeServer = (options: RealtimeOptions) => Promise<RealtimeHandle>;

const realtimeIndex = new URL('./realtime/index.ts', import.meta.url);

export function realtimeAvailable(): boolean {
  return existsSync(realtimeIndex);
}

export async function startRealtime(options: RealtimeOptions): Promise<RealtimeHandle | undefined> {
  if (!realtimeAvailable()) {
    options.logger.warn('realtime: stack/realtime/index.ts not found; /realtime/v1/websocket answers 404');
    return undefined;
  }
  const module = (await import(realtimeIndex.href)) as { createRealtimeServer?: CreateRealtimeServer };
  if (typeof module.createRealtimeServer !== 'function') throw new Error('stack/realtime/index.ts does not export createRealtimeServer');
  return module.createRealtimeServer(options);
}
