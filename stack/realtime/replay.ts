// Broadcast Replay (Realtime: RealtimeChannel.maybe_replay_messages, Realtime.Messages.replay), a private
// channel's join with `config.broadcast.replay {since, limit}`: the newest `limit` (1–25, default 25) broadcast
// rows of realtime.messages for its topic inserted since `since` (Unix ms), pushed oldest first after the join
// reply with `meta: {replayed: true, id}`; a live copy of a replayed message is not delivered again. Realtime
// drops realtime.messages partitions older than 72 hours (by day), so older rows are not replayed here either.
import type { Pool } from 'pg';
import { isObject } from './protocol.ts';

const HARD_LIMIT = 25;
/** JavaScript's Date range in ms: Realtime's DateTime.from_unix refuses what it cannot represent. */
const MAX_UNIX_MS = 8.64e15;

export interface ReplayedMessage {
  id: string;
  event: string;
  /** The jsonb payload, or realtime.send_binary's bytes (RealtimeChannel.replay sends those as a binary broadcast). */
  payload: unknown;
}

/** What the join asks for: nothing, a replay, or the error reason Realtime replies with. */
export function replayRequest(config: Record<string, unknown>, isPrivate: boolean): null | { since: number; limit: number } | { error: string } {
  const broadcast = isObject(config.broadcast) ? config.broadcast : {};
  if (!('replay' in broadcast)) return null;
  if (!isPrivate) return { error: 'UnableToReplayMessages: Replay is not allowed for public channels' };
  const replay = broadcast.replay;
  if (!isObject(replay)) return null; // Realtime only replays when `replay` is a map
  const { since, limit } = replay;
  const validLimit = limit === undefined || limit === null || Number.isInteger(limit);
  if (!Number.isInteger(since) || Math.abs(since as number) > MAX_UNIX_MS || !validLimit) {
    return { error: 'UnableToReplayMessages: Replay params are not valid' };
  }
  const wanted = typeof limit === 'number' ? limit : HARD_LIMIT;
  return { since: since as number, limit: Math.max(Math.min(wanted, HARD_LIMIT), 1) };
}

export async function loadReplay(pool: Pool, subTopic: string, since: number, limit: number): Promise<ReplayedMessage[]> {
  const { rows } = await pool.query<{ id: string; event: string; payload: unknown; binary_payload: Buffer | null }>(
    `select id::text, event, payload, binary_payload from realtime.messages
      where topic = $1 and private = true and extension = 'broadcast'
        and inserted_at >= (to_timestamp($2::double precision / 1000) at time zone 'UTC')
        and inserted_at >= date_trunc('day', (now() at time zone 'UTC') - interval '72 hours')
        and inserted_at < (now() at time zone 'UTC') + interval '1 minute'
      order by inserted_at desc limit $3`,
    [subTopic, since, limit],
  );
  return rows.reverse().map((row) => ({ id: row.id, event: row.event, payload: row.binary_payload ?? row.payload }));
}
