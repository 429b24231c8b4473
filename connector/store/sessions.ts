// whatsapp_sessions: leases, status transitions (fenced by owner + epoch), housekeeping.
import { interval, type Sql } from './db.ts';

export type SessionStatus =
  | 'new' | 'connecting' | 'qr' | 'pairing_code' | 'connected' | 'reconnecting'
  | 'disconnected' | 'logged_out' | 'replaced' | 'failed' | 'expired';

export interface SessionRow {
  id: string;
  user_id: string;
  status: SessionStatus;
  link_method: 'qr' | 'pairing_code';
  pairing_phone: string | null;
  phone_number: string | null;
  wa_jid: string | null;
  lease_owner: string | null;
  lease_epoch: number;
  reconnect_attempts: number;
  last_error: string | null;
}

/** Who holds a session: every connector write carries it. */
export interface Fence {
  sessionId: string;
  owner: string;
  epoch: number;
}

export interface StatusChange {
  status: SessionStatus;
  qr?: { value: string; expiresAt: Date };
  pairingCode?: string;
  lastError?: string | null;
  lastDisconnectCode?: number | null;
  reconnectAttempts?: number;
}

const toRow = (r: Record<string, unknown>) => ({ ...r, lease_epoch: Number(r.lease_epoch) }) as unknown as SessionRow;

export function makeSessionStore(sql: Sql) {
  return {
    async get(id: string): Promise<SessionRow | null> {
      const [row] = await sql`select * from whatsapp_sessions where id = ${id}`;
      return row ? toRow(row) : null;
    },

    async claimWanted(owner: string, ttlMs: number, limit: number): Promise<SessionRow[]> {
      if (limit <= 0) return [];
      const rows = await sql`select * from claim_wanted_sessions(${owner}, ${interval(ttlMs)}::interval, ${limit})`;
      return rows.map(toRow);
    },

    async acquireLease(sessionId: string, owner: string, ttlMs: number): Promise<number | null> {
      const [row] = await sql`select acquire_session_lease(${sessionId}, ${owner}, ${interval(ttlMs)}::interval) as epoch`;
      return row?.epoch == null ? null : Number(row.epoch);
    },

    async renewAll(owner: string, ttlMs: number): Promise<Map<string, number>> {
      const rows = await sql`select session_id, lease_epoch from renew_session_leases(${owner}, ${interval(ttlMs)}::interval)`;
      return new Map(rows.map((r) => [r.session_id as string, Number(r.lease_epoch)]));
    },

    async releaseLease(fence: Fence): Promise<boolean> {
      const [row] = await sql`select release_session_lease(${fence.sessionId}, ${fence.owner}, ${fence.epoch}) as ok`;
      return Boolean(row?.ok);
    },

    /** Sets the status (and the QR / pairing code that belong to it). false = fenced out. */
    async setStatus(fence: Fence, change: StatusChange): Promise<boolean> {
      const s = change.status;
      const ended = ['disconnected', 'logged_out', 'replaced', 'failed', 'expired'].includes(s);
      const rows = await sql`
        update whatsapp_sessions set
          status = ${s},
          qr = ${s === 'qr' ? change.qr?.value ?? null : null},
          qr_expires_at = ${s === 'qr' ? change.qr?.expiresAt ?? null : null},
          pairing_code = ${s === 'pairing_code' ? change.pairingCode ?? null : null},
          last_error = ${change.lastError === undefined ? sql`last_error` : change.lastError},
          last_disconnect_code = ${change.lastDisconnectCode === undefined ? sql`last_disconnect_code` : change.lastDisconnectCode},
          reconnect_attempts = ${change.reconnectAttempts === undefined ? sql`reconnect_attempts` : change.reconnectAttempts},
          disconnected_at = ${ended ? sql`now()` : sql`disconnected_at`}
        where id = ${fence.sessionId} and lease_owner = ${fence.owner} and lease_epoch = ${fence.epoch}
          and lease_expires_at > now() and status not in ('replaced', 'expired')
        returning 1`;
      return rows.length > 0;
    },

    /** pair-success + open: connected, and the older session of the same phone (if any) replaced. */
    async completeLink(fence: Fence, link: { phone: string; jid: string; lid: string | null; pushName: string | null }): Promise<string[]> {
      const rows = await sql`
        select * from complete_session_link(${fence.sessionId}, ${fence.owner}, ${fence.epoch},
          ${link.phone}, ${link.jid}, ${link.lid}, ${link.pushName}) as replaced_id`;
      return rows.map((r) => r.replaced_id as string);
    },

    async touchActivity(fence: Fence): Promise<void> {
      await sql`update whatsapp_sessions set last_activity_at = now()
        where id = ${fence.sessionId} and lease_owner = ${fence.owner} and lease_epoch = ${fence.epoch}`;
    },

    /** Held sessions that someone else ended (a newer link replaced them): their sockets must close. */
    async endedElsewhere(owner: string): Promise<string[]> {
      const rows = await sql`select id from whatsapp_sessions where lease_owner = ${owner} and status in ('replaced', 'expired')`;
      return rows.map((r) => r.id as string);
    },

    async expireIdle(idleMs: number): Promise<string[]> {
      const rows = await sql`select * from expire_idle_sessions(${interval(idleMs)}::interval) as id`;
      return rows.map((r) => r.id as string);
    },

    async deleteUnfinishedLinkCredentials(olderThanMs: number): Promise<number> {
      const [row] = await sql`select delete_unfinished_link_credentials(${interval(olderThanMs)}::interval) as n`;
      return Number(row?.n ?? 0);
    },

    async countByStatus(): Promise<Record<string, number>> {
      const rows = await sql`select status, count(*)::int as n from whatsapp_sessions group by status`;
      return Object.fromEntries(rows.map((r) => [r.status as string, r.n as number]));
    },
  };
}

export type SessionStore = ReturnType<typeof makeSessionStore>;
