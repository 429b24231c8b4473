// outbound_messages (claims and transitions) and inbound_messages (idempotent inserts).
import type { Enums, Tables, TablesInsert } from '../../supabase/functions/_shared/database.types.ts';
import { isRepActionType, type RepActionType } from '../../supabase/functions/_shared/rep-actions.ts';
import type { MediaFacts, MediaKind } from '../media/describe.ts';
import { interval, withDeadline, type Sql } from './db.ts';
import { MEDIA_DISABLED_REASON } from './media.ts';

/** An inbound message's media as it arrived (the download comes later: store/media.ts). */
export type InboundMedia = MediaFacts;

/** A claimed row as the dispatcher needs it (postgres.js gives timestamps as Date); `text` is a media row's caption. */
export type OutboundRow = Pick<Tables<'outbound_messages'>,
  | 'id' | 'session_id' | 'user_id' | 'recipient' | 'recipient_jid' | 'text' | 'attempts' | 'wa_message_id'
  | 'media_path' | 'media_file_name' | 'media_mime_type' | 'quoted_wa_message_id' | 'target_wa_message_id'>
  & { content_type: 'text' | MediaKind | RepActionType; created_at: Date; media_thumbnail: Buffer | null };

/** A row that acts on an earlier message (a reaction, an edit, a delete for everyone, a read receipt) instead of being one. */
export const isRepAction = (row: Pick<OutboundRow, 'content_type'>): row is OutboundRow & { content_type: RepActionType } =>
  isRepActionType(row.content_type);

/** Most message ids one read receipt carries (the newest; older unread ones are marked read with them). */
const READ_RECEIPT_MAX_IDS = 500;

/** A new inbound_messages row (postgres.js takes the timestamp as a Date). */
export type InboundRow = Required<Pick<TablesInsert<'inbound_messages'>,
  | 'session_id' | 'user_id' | 'wa_message_id' | 'chat_jid' | 'sender_jid' | 'sender_phone' | 'push_name' | 'from_me'
  | 'message_type' | 'text' | 'contact_id' | 'pending' | 'pending_reason' | 'imported'>> & { raw: unknown; wa_timestamp: Date };

/** What store_inbound_message did with a message. */
export type InboundOutcome = 'inserted' | 'resolved' | 'duplicate';

/** A delivery or read receipt for a message we sent. */
export interface OutboundReceipt {
  sessionId: string;
  waMessageId: string;
  status: Extract<Enums<'outbound_status'>, 'delivered' | 'read'>;
}

export function makeMessageStore(sql: Sql) {
  return {
    /** Due rows of the sessions whose socket is open, never overtaking a row that waits for its retry. */
    async claimOutbound(owner: string, openSessionIds: string[], limit: number, claimTtlMs: number): Promise<OutboundRow[]> {
      if (openSessionIds.length === 0) return [];
      return withDeadline(sql<OutboundRow[]>`select id, session_id, user_id, recipient, recipient_jid, content_type, text, media_path, media_file_name,
          media_mime_type, media_thumbnail, quoted_wa_message_id, target_wa_message_id, attempts, wa_message_id, created_at
        from claim_ready_outbound_messages(${owner}, ${openSessionIds}::uuid[], ${limit}, ${interval(claimTtlMs)}::interval)
        order by created_at, id`); // UPDATE ... RETURNING has no order; the session queues send in the order returned
    },
    /** Extends the claims still ours; returns the ids it extended (a row locked by another transaction is skipped: not among them). */
    async renewClaims(owner: string, ids: string[], claimTtlMs: number): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await withDeadline(sql<{ id: string }[]>`select id from renew_outbound_claims(${owner}, ${ids}::uuid[], ${interval(claimTtlMs)}::interval) as id`);
      return new Set(rows.map((r) => r.id));
    },
    /** Many acked rows in one statement (mark_outbound_messages_sent); returns the ids that moved to 'sent'. */
    async markSentMany(owner: string, rows: { id: string; recipientJid: string }[]): Promise<Set<string>> {
      if (rows.length === 0) return new Set();
      const moved = await withDeadline(sql<{ id: string }[]>`select id from mark_outbound_messages_sent(${owner},
        ${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.recipientJid)}::text[]) as id`);
      return new Set(moved.map((r) => r.id));
    },
    async retry(id: string, owner: string, delayMs: number, code: string, error: string): Promise<boolean> {
      const [row] = await withDeadline(sql`select retry_outbound_message(${id}, ${owner}, ${interval(delayMs)}::interval, ${code}, ${error}) as ok`);
      return Boolean(row?.ok);
    },
    /** Gives a claimed row back untried (its user paused sending): queued again, the claim's attempt undone. */
    async giveBack(id: string, owner: string): Promise<boolean> {
      const [row] = await withDeadline(sql`select return_outbound_message(${id}, ${owner}) as ok`);
      return Boolean(row?.ok);
    },
    /** Holds a claimed row until an account restriction ends (hold_outbound_message: queued, due then, attempt given back). */
    async hold(id: string, owner: string, until: Date, error: string): Promise<boolean> {
      const [row] = await withDeadline(sql`select hold_outbound_message(${id}, ${owner}, ${until}, ${error}) as ok`);
      return Boolean(row?.ok);
    },
    async fail(id: string, owner: string, code: string, error: string): Promise<boolean> {
      const [row] = await withDeadline(sql`select fail_outbound_message(${id}, ${owner}, ${code}, ${error}) as ok`);
      return Boolean(row?.ok);
    },
    async failUnsent(sessionId: string, code: string, error: string): Promise<number> {
      const [row] = await withDeadline(sql`select fail_unsent_messages(${sessionId}, ${code}, ${error}) as n`);
      return Number(row?.n ?? 0);
    },
    /** Delivery/read receipts of any sessions in one statement (record_outbound_receipts); returns how many rows moved. */
    async recordReceipts(receipts: OutboundReceipt[]): Promise<number> {
      if (receipts.length === 0) return 0;
      const [row] = await withDeadline(sql`select record_outbound_receipts(${receipts.map((r) => r.sessionId)}::uuid[],
        ${receipts.map((r) => r.waMessageId)}::text[], ${receipts.map((r) => r.status)}::outbound_status[]) as n`);
      return Number(row?.n ?? 0);
    },
    /** Keeps what was sent under a row's id (record_outbound_content), for resending it on a retry receipt. */
    async recordSentContent(id: string, owner: string, message: Record<string, unknown>): Promise<boolean> {
      const [row] = await withDeadline(sql`select record_outbound_content(${id}, ${owner}, ${sql.json(message as never)}) as ok`);
      return Boolean(row?.ok);
    },
    /**
     * For Baileys' getMessage (retry receipts): what we sent under this WhatsApp id, as WAProto JSON: the content
     * kept at send time (media, quotes), else a text row's text; null when this session sent no such message.
     */
    async findSentContent(sessionId: string, waMessageId: string): Promise<Record<string, unknown> | null> {
      const [row] = await withDeadline(sql`select coalesce(c.message,
          case when m.content_type = 'text' then jsonb_build_object('conversation', m.text) end) as message
        from outbound_messages m left join outbound_sent_content c on c.message_id = m.id
        where m.session_id = ${sessionId} and m.wa_message_id = ${waMessageId}
        limit 1`);
      return (row?.message as Record<string, unknown> | null | undefined) ?? null;
    },
    /** A message of this session to quote: one we received, else one we sent. */
    async findQuoted(sessionId: string, waMessageId: string): Promise<{ fromMe: boolean; text: string | null } | null> {
      const [row] = await withDeadline(sql`
        select from_me, text from inbound_messages where session_id = ${sessionId} and wa_message_id = ${waMessageId}
        union all
        select true, text from outbound_messages where session_id = ${sessionId} and wa_message_id = ${waMessageId}
        limit 1`);
      return row ? { fromMe: Boolean(row.from_me), text: (row.text as string | null) ?? null } : null;
    },
    /** The chat's received messages a 'read' row covers (unread_messages_up_to), oldest first, as receipt keys. */
    async unreadUpTo(sessionId: string, waMessageId: string): Promise<{ chatJid: string; waMessageId: string }[]> {
      const rows = await withDeadline(sql<{ chat_jid: string; wa_message_id: string }[]>`select chat_jid, wa_message_id
        from unread_messages_up_to(${sessionId}, ${waMessageId}) order by date_trunc('second', wa_timestamp) desc, received_at desc, id desc limit ${READ_RECEIPT_MAX_IDS}`);
      return rows.reverse().map((r) => ({ chatJid: r.chat_jid, waMessageId: r.wa_message_id }));
    },
    async stillClaimed(id: string, owner: string): Promise<boolean> {
      const rows = await withDeadline(sql`select 1 from outbound_messages where id = ${id} and status = 'sending' and claimed_by = ${owner}`);
      return rows.length > 0;
    },
    async isOwnOutbound(sessionId: string, waMessageId: string): Promise<boolean> {
      const rows = await withDeadline(sql`select 1 from outbound_messages where session_id = ${sessionId} and wa_message_id = ${waMessageId}`);
      return rows.length > 0;
    },
    /**
     * Stores a message (store_inbound_message): 'inserted'; 'resolved' when it is the content of a pending
     * placeholder (replaced in place); 'duplicate' for a replay or the same id under its other JID form.
     */
    async storeInbound(row: InboundRow, media: InboundMedia | null = null, keepMedia = true): Promise<InboundOutcome> {
      // A media message is queued for download at once; one without the facts to download it cannot ever be fetched.
      // `keepMedia` false (MEDIA=disabled): media keep their metadata as 'disabled', never downloaded.
      const state = !media ? null : !keepMedia ? 'disabled' : media.source ? 'pending' : 'failed';
      const message = {
        ...row, wa_timestamp: row.wa_timestamp.toISOString(),
        media_kind: media?.kind ?? null, media_state: state, media_mime_type: media?.mimeType?.slice(0, 255) ?? null,
        media_size_bytes: media?.sizeBytes ?? null, media_duration_seconds: media?.durationSeconds ?? null,
        media_width: media?.width ?? null, media_height: media?.height ?? null,
        media_file_name: media?.fileName?.slice(0, 1024) ?? null, media_source: media?.source ?? null,
        media_error: state === 'failed' ? 'the message carries no media key or path to download the file'
          : state === 'disabled' ? MEDIA_DISABLED_REASON : null,
      };
      const [result] = await withDeadline(sql<{ outcome: InboundOutcome }[]>`
        select store_inbound_message(${sql.json(message as never)}) as outcome`);
      return result!.outcome;
    },
  };
}

export type MessageStore = ReturnType<typeof makeMessageStore>;
