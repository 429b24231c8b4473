// Account restrictions (issue 12 §2.6): WhatsApp's reachout time-lock refuses a restricted account's messages to new
// contacts with error 463 in the server's ack, while established chats keep working (Baileys#2441, #2800;
// whatsmeow#1197; rc14 Socket/messages-recv.js handleBadAck L1512-1550). rc14 never queries the lock on a 463 (its isReachoutTimelocked branch is
// unreachable: both codes are 463), so we do: on every socket open, on the server's push
// (NotificationUserReachoutTimelockUpdate → connection.update.reachoutTimeLock) and after a 463. While the lock is
// on, the session row says until when and which kind, and a row to a new contact is held until the lock ends
// (not sent, not failed: every refused send deepens the ban); rows to existing chats go on. A 463 without an
// active lock (a lost tctoken on an established chat, rc14 decode-wa-message.js) is an ordinary failed send.
// WhatsApp's cap on new chats per cycle is asked at the same moments (rc14 Socket/socket.js fetchNewChatMessageCap:
// w:mex MESSAGE_CAPPING_INFO, {"input":{"type":"INDIVIDUAL_NEW_CHAT_MSG"}}, answered under xwa2_message_capping_info;
// the simulator's test/sim/handlers/restrictions.ts handleMexQuery) and taken from the server's push
// (MessageCappingInfoNotification → message-capping.update, rc14 messages-recv.js handleMessageCappingNotification);
// the row shows the last answer (new_chat_quota, new_chats_used, new_chat_cycle_ends_at, new_chat_cap_status).
import type { NewChatMessageCapInfo, ReachoutTimelockState } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.ts';
import type { OutboundRow, Store } from '../store/index.ts';
import type { NewChatCap } from '../store/sessions.ts';
import type { SessionConnection } from '../whatsapp/index.ts';

/** WA Web's fallback when a lock push has no end (rc14 messages-recv.js): a minute from now. */
const UNKNOWN_END_MS = 60_000;
/** rc14's enforcement type when the server names none: no restriction. */
const NO_RESTRICTION = 'DEFAULT';

export interface Restriction {
  until: Date;
  kind: string;
}

export class AccountRestrictions {
  private readonly bySession = new Map<string, Restriction>();
  /** asks again when a lock ends (whether WhatsApp pushes the lift is unverified), clearing the row */
  private readonly endTimers = new Map<string, NodeJS.Timeout>();
  /** sessions whose time-lock query is in flight */
  private readonly querying = new Set<string>();

  constructor(private readonly deps: { store: Store; logger: Logger; metrics: Metrics; owner: string }) {}

  /** A socket of `conn` opened: learn the lock now and follow the server's pushes. */
  watch(conn: SessionConnection): void {
    const sock = conn.sock;
    if (!sock) return;
    sock.ev.on('connection.update', (u) => {
      // rc14 maps the push's enforcement type through a table that lacks e.g. RESTRICT_ALL_COMPANIONS (it reports
      // DEFAULT): the query answers the real one. rc14 emits its own query's answer the same way: not asked again.
      if (u.reachoutTimeLock && sock === conn.sock && !this.querying.has(conn.sessionId)) void this.query(conn, u.reachoutTimeLock);
    });
    sock.ev.on('message-capping.update', (info) => {
      if (sock === conn.sock) void this.storeCap(conn, info);
    });
    void this.query(conn);
  }

  /** The restriction in force for a session, or null. */
  active(sessionId: string): Restriction | null {
    const r = this.bySession.get(sessionId);
    return r && r.until.getTime() > Date.now() ? r : null;
  }

  /**
   * Before a send (no `refusal`) or after WhatsApp refused it: true when the claimed row now waits for the lock's end
   * (hold_outbound_message: queued, due then, its attempt given back); false = go on as usual.
   */
  async hold(conn: SessionConnection, row: OutboundRow, phone: string, refusal?: unknown): Promise<boolean> {
    const until = refusal === undefined ? await this.holdUntil(conn, phone) : await this.afterRefusal(conn, refusal);
    if (!until) return false;
    this.deps.metrics.retried.inc({ code: 'account_restricted' });
    await this.deps.store.messages.hold(row.id, this.deps.owner, until,
      `WhatsApp restricts this account's messages to new contacts until ${until.toISOString()}: held until then`);
    return true;
  }

  /** Before a send: when a row to `phone` may go (the lock's end) if it must wait, else null. */
  async holdUntil(conn: SessionConnection, phone: string): Promise<Date | null> {
    const r = this.active(conn.sessionId);
    if (!r) return null;
    return (await this.deps.store.sessions.hasChatWith(conn.sessionId, phone)) ? null : r.until;
  }

  /** After a send WhatsApp refused: a 463 under an active lock holds the row until its end; otherwise null. */
  async afterRefusal(conn: SessionConnection, error: unknown): Promise<Date | null> {
    if (!(error instanceof Error) || !/\(ack error 463\)/.test(error.message)) return null;
    await this.query(conn, { isActive: true, enforcementType: undefined, timeEnforcementEnds: undefined });
    return this.active(conn.sessionId)?.until ?? null;
  }

  /** Asks WhatsApp (fetchAccountReachoutTimelock); if the query fails, `fallback` (a push or a 463) stands. */
  private async query(conn: SessionConnection, fallback?: ReachoutTimelockState): Promise<void> {
    const sock = conn.sock;
    if (!sock) return;
    let lock = fallback;
    this.querying.add(conn.sessionId);
    try {
      lock = await sock.fetchAccountReachoutTimelock();
    } catch (err) {
      this.deps.logger.warn({ err, session: conn.sessionId }, 'the reachout time-lock query failed');
    } finally {
      this.querying.delete(conn.sessionId);
    }
    if (lock) await this.apply(conn, lock);
    try {
      await this.storeCap(conn, await sock.fetchNewChatMessageCap());
    } catch (err) {
      this.deps.logger.warn({ err, session: conn.sessionId }, 'the new-chat cap query failed');
    }
  }

  private async storeCap(conn: SessionConnection, info: NewChatMessageCapInfo): Promise<void> {
    const cap = toNewChatCap(info);
    if (cap) await this.deps.store.sessions.setNewChatCap(conn.fence, cap);
    else this.deps.logger.warn({ session: conn.sessionId, info }, 'the new-chat cap answer has no quota');
  }

  private async apply(conn: SessionConnection, lock: ReachoutTimelockState): Promise<void> {
    const kind = lock.enforcementType ?? NO_RESTRICTION;
    const until = lock.isActive ? lock.timeEnforcementEnds ?? new Date(Date.now() + UNKNOWN_END_MS) : null;
    const next = until && until.getTime() > Date.now() ? { until, kind: kind === NO_RESTRICTION ? 'unknown' : kind } : null;
    const previous = this.bySession.get(conn.sessionId);
    if (!next && !previous) return;
    if (next && previous && next.until.getTime() === previous.until.getTime() && next.kind === previous.kind) return;
    clearTimeout(this.endTimers.get(conn.sessionId));
    if (next) {
      this.bySession.set(conn.sessionId, next);
      const timer = setTimeout(() => void this.query(conn), Math.min(next.until.getTime() - Date.now() + 1000, 2 ** 31 - 1));
      this.endTimers.set(conn.sessionId, timer.unref());
    } else {
      this.bySession.delete(conn.sessionId);
      this.endTimers.delete(conn.sessionId);
    }
    this.deps.logger.warn({ session: conn.sessionId, restrictedUntil: next?.until, kind: next?.kind },
      next ? 'WhatsApp restricts this account: messages to new contacts wait until the lock ends' : 'the account restriction ended');
    await this.deps.store.sessions.setRestriction(conn.fence, next);
  }
}

/** rc14's NewChatMessageCapInfo (timestamps: unix seconds as strings) as the row keeps it; null without a quota. */
export function toNewChatCap(info: NewChatMessageCapInfo | undefined): NewChatCap | null {
  const quota = info?.total_quota;
  if (typeof quota !== 'number' || !Number.isInteger(quota) || quota < 0) return null;
  const used = info?.used_quota;
  const ends = Number(info?.cycle_end_timestamp);
  return {
    quota,
    used: typeof used === 'number' && Number.isInteger(used) && used >= 0 ? used : 0,
    cycleEndsAt: Number.isFinite(ends) && ends > 0 ? new Date(ends * 1000) : null,
    status: typeof info?.capping_status === 'string' ? info.capping_status : null,
  };
}
