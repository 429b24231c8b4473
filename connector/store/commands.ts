// session_commands: claim, complete (done / failed with a readable error), return.
import type { Enums, Tables } from '../../supabase/functions/_shared/database.types.ts';
import { interval, type Sql } from './db.ts';

export type CommandName = Enums<'session_command'>;

export type CommandRow = Omit<Pick<Tables<'session_commands'>, 'id' | 'session_id' | 'user_id' | 'command' | 'payload' | 'attempts'>, 'payload'> & {
  payload: Record<string, unknown>;
};
/** postgres.js returns bigint as a string. */
type DbCommandRow = Omit<CommandRow, 'id'> & { id: string };

export function makeCommandStore(sql: Sql) {
  return {
    async claim(owner: string, limit: number, claimTtlMs: number): Promise<CommandRow[]> {
      const rows = await sql<DbCommandRow[]>`select id, session_id, user_id, command, payload, attempts
        from claim_session_commands(${owner}, ${limit}, ${interval(claimTtlMs)}::interval)`;
      return rows.map((r) => ({ ...r, id: Number(r.id) }));
    },
    async complete(id: number, owner: string, error: string | null = null): Promise<boolean> {
      const [row] = await sql`select complete_session_command(${id}, ${owner}, ${error}) as ok`;
      return Boolean(row?.ok);
    },
    async giveBack(id: number, owner: string): Promise<boolean> {
      const [row] = await sql`select return_session_command(${id}, ${owner}) as ok`;
      return Boolean(row?.ok);
    },
  };
}

export type CommandStore = ReturnType<typeof makeCommandStore>;
