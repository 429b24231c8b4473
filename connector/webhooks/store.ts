// The webhook outbox as the connector sees it: claim due events, record each attempt, give back what was
// not sent. All transitions are SQL functions (migration 20261207004100); this only calls them.
import { withDeadline, type Sql } from '../store/db.ts';

export interface ClaimedEvent {
  id: string;
  user_id: string;
  event_type: string;
  data: unknown;
  occurred_at: Date;
  /** attempts already recorded before this one */
  attempts: number;
  url: string;
  /** whsec_… (never logged) */
  secret: string;
}

export interface Attempt {
  url: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** null: no further retry (delivered, or dead when it failed) */
  retryInMs: number | null;
}

export const WEBHOOK_CHANNEL = 'webhook_events';

export function makeWebhookStore(sql: Sql) {
  return {
    async claim(owner: string, limit: number, ttlMs: number): Promise<ClaimedEvent[]> {
      return (await withDeadline(sql`select * from claim_webhook_events(${owner}, ${limit},
        ${ttlMs} * interval '1 millisecond')`)) as unknown as ClaimedEvent[];
    },
    /** false: the claim was lost (another connector took the event over); nothing was written. */
    async record(eventId: string, owner: string, a: Attempt): Promise<boolean> {
      const [row] = await withDeadline(sql`select record_webhook_attempt(${eventId}, ${owner}, ${a.url}, ${a.statusCode},
        ${a.error}, ${Math.round(a.durationMs)}, ${a.retryInMs === null ? null : `${Math.round(a.retryInMs)} milliseconds`}::interval) as ok`);
      return row!.ok as boolean;
    },
    async giveBack(eventId: string, owner: string): Promise<void> {
      await withDeadline(sql`select return_webhook_event(${eventId}, ${owner})`);
    },
    async deleteOld(olderThanDays: number): Promise<number> {
      const [row] = await withDeadline(sql`select delete_old_webhook_events(${olderThanDays} * interval '1 day') as n`);
      return row!.n as number;
    },
    /** Calls `ring` on every commit that queued an event (pg_notify in the same transaction). */
    async listen(ring: () => void): Promise<{ unlisten: () => Promise<void> }> {
      return sql.listen(WEBHOOK_CHANNEL, () => ring());
    },
  };
}

export type WebhookStore = ReturnType<typeof makeWebhookStore>;
