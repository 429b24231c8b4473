// Arrange-and-assert helpers for the database tests (superuser client: RLS does not apply).
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { expect } from 'vitest';
import type { Tables } from '../../supabase/functions/_shared/database.types.ts';
import { createUser } from '../support/postgres.ts';

type Row = Record<string, postgres.SerializableParameter | null>;

/** Awaits a statement that must fail and checks its SQLSTATE (and constraint name, when given). */
export async function expectPgError(
  statement: PromiseLike<unknown>,
  code: string,
  constraint?: string,
): Promise<postgres.PostgresError> {
  let caught: unknown;
  try {
    await statement;
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof postgres.PostgresError)) {
    throw new Error(`expected Postgres error ${code}${constraint ? ` (${constraint})` : ''}, got ${caught ? String(caught) : 'success'}`);
  }
  expect({ code: caught.code, constraint: constraint === undefined ? undefined : caught.constraint_name })
    .toEqual({ code, constraint });
  return caught;
}

/** A random E.164 phone number (+1555 and 7 random digits). */
export function randomPhone(): string {
  return `+1555${(randomBytes(4).readUInt32BE() % 10_000_000).toString().padStart(7, '0')}`;
}

export function randomOwner(prefix = 'connector'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Inserts a session for `userId` (a fresh user when omitted) and returns its row. */
export async function insertSession(sql: postgres.Sql, values: Row = {}) {
  const row: Row = { user_id: values.user_id ?? (await createUser(sql)), ...values };
  const [session] = await sql<SessionRow[]>`insert into whatsapp_sessions ${sql(row)} returning *`;
  return session!;
}

/** A connected session (phone number and connected_at set), optionally leased to `owner`. */
export async function insertConnectedSession(sql: postgres.Sql, values: Row = {}, owner?: string) {
  return insertSession(sql, {
    status: 'connected', phone_number: randomPhone(), connected_at: new Date(),
    ...(owner ? { lease_owner: owner, lease_epoch: 1, lease_expires_at: new Date(Date.now() + 3_600_000) } : {}),
    ...values,
  });
}

export async function insertOutbound(sql: postgres.Sql, session: SessionRow, values: Row = {}) {
  const row: Row = { session_id: session.id, user_id: session.user_id, recipient: '+15557770000', text: 'hello', ...values };
  const [message] = await sql<OutboundRow[]>`insert into outbound_messages ${sql(row)} returning *`;
  return message!;
}

/** A whatsapp_sessions row as postgres.js returns it (bigint as string, timestamps as Date). */
export type SessionRow = Pick<Tables<'whatsapp_sessions'>, 'id' | 'user_id' | 'status' | 'phone_number' | 'lease_owner'>
  & { lease_epoch: string; [column: string]: unknown };

export type OutboundRow = Pick<Tables<'outbound_messages'>,
  'id' | 'session_id' | 'user_id' | 'status' | 'attempts' | 'claimed_by' | 'wa_message_id'> & { [column: string]: unknown };
