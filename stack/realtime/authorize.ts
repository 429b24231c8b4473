// Private channels: a client may join when the `realtime.messages` select policies let its claims read a
// message on the topic (Realtime's own check: probe row, role + claims + realtime.topic set, rolled back).
import type { Pool } from 'pg';
import type { AccessClaims } from '../keys.ts';
import type { Logger } from './logger.ts';

export type Extension = 'broadcast' | 'presence';

/** Read policies per extension; `presence` is null when not evaluated (presence not enabled at the join). */
export interface ReadPolicies { broadcast: boolean; presence: boolean | null }

export async function authorizePrivateTopic(
  pool: Pool, logger: Logger, topic: string, claims: AccessClaims, extension: Extension = 'broadcast',
): Promise<boolean> {
  return (await authorizeRead(pool, logger, topic, claims, [extension]))[extension] ?? false;
}

/**
 * Authorization.get_read_authorizations: one probe row per extension (broadcast, and presence when presence is
 * enabled), the select policies asked for each in one rolled-back transaction.
 */
export async function authorizeRead(
  pool: Pool, logger: Logger, topic: string, claims: AccessClaims, extensions: Extension[],
): Promise<Partial<Record<Extension, boolean>>> {
  const allowed: Partial<Record<Extension, boolean>> = {};
  if (claims.role === 'service_role') {
    for (const extension of extensions) allowed[extension] = true;
    return allowed;
  }
  const subTopic = topic.replace(/^realtime:/, '');
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows: probes } = await client.query<{ id: string; extension: Extension }>(
      `insert into realtime.messages (topic, extension, private, payload, event)
       select $1, e, true, '{}'::jsonb, 'authorization_probe' from unnest($2::text[]) e returning id::text, extension`,
      [subTopic, extensions],
    );
    await client.query(
      `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('realtime.topic', $3, true)`,
      [claims.role, JSON.stringify(claims), subTopic],
    );
    const { rows } = await client.query<{ id: string }>(
      'select id::text from realtime.messages where id = any($1::uuid[])',
      [probes.map((probe) => probe.id)],
    );
    const seen = new Set(rows.map((row) => row.id));
    for (const probe of probes) allowed[probe.extension] = seen.has(probe.id);
    return allowed;
  } catch (error) {
    logger.warn({ err: error, topic: subTopic }, 'realtime: private channel authorization failed');
    for (const extension of extensions) allowed[extension] = false;
    return allowed;
  } finally {
    await client.query('rollback').catch(() => {});
    client.release();
  }
}

/** The join's read policies (maybe_assign_policies): a private channel is allowed when broadcast or presence may be read. */
export async function joinReadPolicies(
  pool: Pool, logger: Logger, topic: string, claims: AccessClaims, presenceEnabled: boolean,
): Promise<ReadPolicies> {
  const read = await authorizeRead(pool, logger, topic, claims, presenceEnabled ? ['broadcast', 'presence'] : ['broadcast']);
  return { broadcast: read.broadcast ?? false, presence: presenceEnabled ? (read.presence ?? false) : null };
}

/**
 * Whether `claims` may send a broadcast (or track presence) on a private topic: Realtime's write check, an insert
 * into `realtime.messages` (extension broadcast or presence) under the insert policies as the claims' role, rolled back.
 */
export async function authorizeBroadcastWrite(
  pool: Pool, logger: Logger, subTopic: string, claims: AccessClaims, extension: Extension = 'broadcast',
): Promise<boolean> {
  if (claims.role === 'service_role') return true;
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(
      `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('realtime.topic', $3, true)`,
      [claims.role, JSON.stringify(claims), subTopic],
    );
    await client.query(
      `insert into realtime.messages (topic, extension, private, payload, event)
       values ($1, $2, true, '{}'::jsonb, 'authorization_probe')`,
      [subTopic, extension],
    );
    return true;
  } catch (error) {
    // 42501: the insert policies refuse these claims (the expected "no"); anything else is logged.
    if ((error as { code?: string }).code !== '42501') logger.warn({ err: error, topic: subTopic }, 'realtime: broadcast write authorization failed');
    return false;
  } finally {
    await client.query('rollback').catch(() => {});
    client.release();
  }
}
