// Private channels: a client may join when the `realtime.messages` select policies let its claims read a
// message on the topic (Realtime's own check: probe row, role + claims + realtime.topic set, rolled back).
import type { Pool } from 'pg';
import type { AccessClaims } from '../keys.ts';
import type { Logger } from './logger.ts';

export async function authorizePrivateTopic(
  pool: Pool, logger: Logger, topic: string, claims: AccessClaims, extension: 'broadcast' | 'presence' = 'broadcast',
): Promise<boolean> {
  if (claims.role === 'service_role') return true;
  const subTopic = topic.replace(/^realtime:/, '');
  const client = await pool.connect();
  try {
    await client.query('begin');
    const { rows: [probe] } = await client.query<{ id: string }>(
      `insert into realtime.messages (topic, extension, private, payload, event)
       values ($1, $2, true, '{}'::jsonb, 'authorization_probe') returning id::text`,
      [subTopic, extension],
    );
    await client.query(
      `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('realtime.topic', $3, true)`,
      [claims.role, JSON.stringify(claims), subTopic],
    );
    const { rows: [row] } = await client.query<{ allowed: boolean }>(
      'select exists (select 1 from realtime.messages where id = $1::uuid) as allowed',
      [probe!.id],
    );
    return row?.allowed ?? false;
  } catch (error) {
    logger.warn({ err: error, topic: subTopic }, 'realtime: private channel authorization failed');
    return false;
  } finally {
    await client.query('rollback').catch(() => {});
    client.release();
  }
}

/**
 * Whether `claims` may send a broadcast (or track presence) on a private topic: Realtime's write check, an insert
 * into `realtime.messages` (extension broadcast or presence) under the insert policies as the claims' role, rolled back.
 */
export async function authorizeBroadcastWrite(
  pool: Pool, logger: Logger, subTopic: string, claims: AccessClaims, extension: 'broadcast' | 'presence' = 'broadcast',
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
