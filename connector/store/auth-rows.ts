// whatsapp_auth_state rows (already sealed bytes). Every write is one transaction that starts with
// assert_session_lease: a connector that lost the lease writes nothing (WL001), and the session row is
// locked FOR SHARE so the lease cannot move while it runs.
import type { Sql } from './db.ts';
import type { Fence } from './sessions.ts';

export interface AuthRowWrite {
  kind: string;
  keyId: string;
  /** null deletes the row */
  value: Buffer | null;
}

export function makeAuthRowStore(sql: Sql) {
  return {
    async read(sessionId: string, kind: string, keyIds: string[]): Promise<Map<string, Buffer>> {
      if (keyIds.length === 0) return new Map();
      const rows = await sql`select key_id, value from whatsapp_auth_state
        where session_id = ${sessionId} and kind = ${kind} and key_id = any(${keyIds})`;
      return new Map(rows.map((r) => [r.key_id as string, r.value as Buffer]));
    },

    /** One statement (write_session_auth_state): fenced, atomic, one round trip. */
    async write(fence: Fence, writes: AuthRowWrite[]): Promise<void> {
      if (writes.length === 0) return;
      // bytea[] travels as hex text: postgres.js does not serialise arrays of Buffers.
      const values = writes.map((w) => (w.value ? `\\x${w.value.toString('hex')}` : null));
      await sql`select write_session_auth_state(${fence.sessionId}, ${fence.owner}, ${fence.epoch},
        ${writes.map((w) => w.kind)}::text[], ${writes.map((w) => w.keyId)}::text[], ${values}::text[]::bytea[])`;
    },

    /** Wipes every credential of a session (logout, 401): wipe_session_auth_state, fenced (WL001). */
    async wipe(fence: Fence): Promise<void> {
      await sql`select wipe_session_auth_state(${fence.sessionId}, ${fence.owner}, ${fence.epoch})`;
    },

    /** Sessions holding a value that does not start with `prefix` (not sealed the way seal() writes now). */
    async sessionsNotSealedWith(prefix: Buffer): Promise<string[]> {
      const rows = await sql`select distinct session_id from whatsapp_auth_state
        where substr(value, 1, ${prefix.length}::int) <> ${prefix}::bytea order by session_id`;
      return rows.map((r) => r.session_id as string);
    },

    /** The next `limit` such values of one session after (kind, keyId), in key order. */
    async pageNotSealedWith(sessionId: string, prefix: Buffer, after: { kind: string; keyId: string } | null, limit: number) {
      const rows = await sql`select kind, key_id, value from whatsapp_auth_state
        where session_id = ${sessionId} and substr(value, 1, ${prefix.length}::int) <> ${prefix}::bytea
          and (kind, key_id) > (${after?.kind ?? ''}::text, ${after?.keyId ?? ''}::text)
        order by kind, key_id limit ${limit}::int`;
      return rows.map((r) => ({ kind: r.kind as string, keyId: r.key_id as string, value: r.value as Buffer }));
    },

    async hasCredentials(sessionId: string): Promise<boolean> {
      const rows = await sql`select 1 from whatsapp_auth_state where session_id = ${sessionId} and kind = 'creds' limit 1`;
      return rows.length > 0;
    },
  };
}

export type AuthRowStore = ReturnType<typeof makeAuthRowStore>;
