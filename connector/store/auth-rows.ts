// whatsapp_auth_state rows (already sealed bytes). Every write runs in one transaction that starts with
// assert_session_lease: a connector that lost the lease writes nothing (WL001), and the session row is
// locked FOR SHARE so the lease cannot move while the transaction runs.
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

    async write(fence: Fence, writes: AuthRowWrite[]): Promise<void> {
      if (writes.length === 0) return;
      await sql.begin(async (tx) => {
        await tx`select assert_session_lease(${fence.sessionId}, ${fence.owner}, ${fence.epoch})`;
        const upserts = writes.filter((w) => w.value !== null);
        const deletes = writes.filter((w) => w.value === null);
        if (upserts.length) {
          await tx`insert into whatsapp_auth_state (session_id, kind, key_id, value)
            select ${fence.sessionId}, k, i, decode(v, 'hex')
              from unnest(${upserts.map((w) => w.kind)}::text[], ${upserts.map((w) => w.keyId)}::text[],
                          ${upserts.map((w) => w.value!.toString('hex'))}::text[]) as t(k, i, v)
            on conflict (session_id, kind, key_id) do update set value = excluded.value`;
        }
        if (deletes.length) {
          await tx`delete from whatsapp_auth_state a
            using unnest(${deletes.map((w) => w.kind)}::text[], ${deletes.map((w) => w.keyId)}::text[]) as t(k, i)
            where a.session_id = ${fence.sessionId} and a.kind = t.k and a.key_id = t.i`;
        }
      });
    },

    /** Wipes every credential of a session (logout, 401). Fenced like every other write. */
    async wipe(fence: Fence): Promise<void> {
      await sql.begin(async (tx) => {
        await tx`select assert_session_lease(${fence.sessionId}, ${fence.owner}, ${fence.epoch})`;
        await tx`delete from whatsapp_auth_state where session_id = ${fence.sessionId}`;
      });
    },

    async hasCredentials(sessionId: string): Promise<boolean> {
      const rows = await sql`select 1 from whatsapp_auth_state where session_id = ${sessionId} and kind = 'creds' limit 1`;
      return rows.length > 0;
    },
  };
}

export type AuthRowStore = ReturnType<typeof makeAuthRowStore>;
