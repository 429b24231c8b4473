// whatsapp_sessions: leases, status transitions (fenced by owner + epoch), housekeeping.
import type { Enums, Tables } from '../../supabase/functions/_shared/database.types.ts';
import { interval, type Sql } from './db.ts';

export type SessionStatus = Enums<'session_status'>;

/** The columns the connector reads (the row types are generated from the schema). */
export type SessionRow = Pick<Tables<'whatsapp_sessions'>,
  | 'id' | 'user_id' | 'status' | 'link_method' | 'pairing_phone' | 'phone_number' | 'wa_jid' | 'lease_owner'
  | 'lease_epoch' | 'reconnect_attempts' | 'last_error'>;

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

/** WhatsApp's cap on the new chats an account starts per cycle (rc14 NewChatMessageCapInfo). */
export interface NewChatCap {
  quota: number;
  used: number;
  cycleEndsAt: Date | null;
  status: string | null;
}

const SESSION_COLUMNS = ['id', 'user_id', 'status', 'link_method', 'pairing_phone', 'phone_number', 'wa_jid', 'lease_owner',
  'lease_epoch', 'reconnect_attempts', 'last_error'] as const;
/** postgres.js returns bigint as a string: the epoch is a number here. */
type DbSessionRow = Omit<SessionRow, 'lease_epoch'> & { lease_epoch: string };
const toRow = (r: DbSessionRow): SessionRow => ({ ...r, lease_epoch: Number(r.lease_epoch) });

export function makeSessionStore(sql: Sql) {
  return {
    async get(id: string): Promise<SessionRow | null> {
      const [row] = await sql<DbSessionRow[]>`select ${sql(SESSION_COLUMNS)} from whatsapp_sessions where id = ${id}`;
      return row ? toRow(row) : null;
    },

    async claimWanted(owner: string, ttlMs: number, limit: number): Promise<SessionRow[]> {
      if (limit <= 0) return [];
      const rows = await sql<DbSessionRow[]>`select ${sql(SESSION_COLUMNS)} from claim_wanted_sessions(${owner}, ${interval(ttlMs)}::interval, ${limit})`;
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

    /** Sets the status (and the QR / pairing code that belong to it): set_session_status. false = fenced out. */
    async setStatus(fence: Fence, change: StatusChange): Promise<boolean> {
      const kept: Record<string, string | number | null> = {};
      if (change.lastError !== undefined) kept.last_error = change.lastError;
      if (change.lastDisconnectCode !== undefined) kept.last_disconnect_code = change.lastDisconnectCode;
      if (change.reconnectAttempts !== undefined) kept.reconnect_attempts = change.reconnectAttempts;
      const [row] = await sql`select set_session_status(${fence.sessionId}, ${fence.owner}, ${fence.epoch}, ${change.status},
        ${sql.json(kept)}, ${change.qr?.value ?? null}, ${change.qr?.expiresAt ?? null}, ${change.pairingCode ?? null}) as ok`;
      return Boolean(row?.ok);
    },

    /** pair-success + open: connected, and the older session of the same phone (if any) replaced. */
    async completeLink(fence: Fence, link: { phone: string; jid: string; lid: string | null; pushName: string | null }): Promise<string[]> {
      const rows = await sql`
        select * from complete_session_link(${fence.sessionId}, ${fence.owner}, ${fence.epoch},
          ${link.phone}, ${link.jid}, ${link.lid}, ${link.pushName}) as replaced_id`;
      return rows.map((r) => r.replaced_id as string);
    },

    /** The WA Web version the session's current socket announces (whatsapp_sessions.wa_web_version). */
    async recordWaVersion(fence: Fence, version: string): Promise<boolean> {
      const [row] = await sql`select record_session_wa_version(${fence.sessionId}, ${fence.owner}, ${fence.epoch}, ${version}) as ok`;
      return Boolean(row?.ok);
    },

    /** The account's reachout time-lock on the row (null lifts it and makes the rows held for it due). */
    async setRestriction(fence: Fence, restriction: { until: Date; kind: string } | null): Promise<boolean> {
      const [row] = await sql`select set_session_restriction(${fence.sessionId}, ${fence.owner}, ${fence.epoch},
        ${restriction?.until ?? null}, ${restriction?.kind ?? null}) as ok`;
      return Boolean(row?.ok);
    },

    /** WhatsApp's cap on new chats as it last answered (set_session_new_chat_cap). false = fenced out. */
    async setNewChatCap(fence: Fence, cap: NewChatCap): Promise<boolean> {
      const [row] = await sql`select set_session_new_chat_cap(${fence.sessionId}, ${fence.owner}, ${fence.epoch},
        ${cap.quota}, ${cap.used}, ${cap.cycleEndsAt}, ${cap.status}) as ok`;
      return Boolean(row?.ok);
    },

    /** Whether the account already has a chat with this phone (a restriction holds only sends to new contacts). */
    async hasChatWith(sessionId: string, phone: string): Promise<boolean> {
      const [row] = await sql`select session_has_chat_with(${sessionId}, ${phone}) as ok`;
      return Boolean(row?.ok);
    },

    async touchActivity(fence: Fence): Promise<void> {
      await sql`select touch_session_activity(${fence.sessionId}, ${fence.owner}, ${fence.epoch})`;
    },

    /** A held session that was replaced or expired is done: credentials wiped, lease released, last_error says whether its device was logged out. */
    async finishReplaced(fence: Fence, loggedOut: boolean): Promise<void> {
      await sql`select finish_replaced_session(${fence.sessionId}, ${fence.owner}, ${fence.epoch}, ${loggedOut})`;
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

    /** Replaced/expired sessions whose holder died with their credentials (its lease expired since): wiped. */
    async wipeAbandonedEnded(): Promise<string[]> {
      const rows = await sql`select * from wipe_abandoned_ended_sessions() as id`;
      return rows.map((r) => r.id as string);
    },

    async countByStatus(): Promise<Record<string, number>> {
      const rows = await sql`select status, count(*)::int as n from whatsapp_sessions group by status`;
      return Object.fromEntries(rows.map((r) => [r.status as string, r.n as number]));
    },
  };
}

export type SessionStore = ReturnType<typeof makeSessionStore>;
