// session_commands: claim, complete (done / failed with a readable error), return.
import { interval, type Sql } from './db.ts';

export type CommandName = 'connect' | 'disconnect' | 'logout' | 'reconnect' | 'pairing_code';

export interface CommandRow {
  id: number;
  session_id: string;
  user_id: string;
  command: CommandName;
  payload: Record<string, unknown>;
  attempts: number;
}

export function makeCommandStore(sql: Sql) {
  return {
    async claim(owner: string, limit: number, claimTtlMs: number): Promise<CommandRow[]> {
      const rows = await sql`select * from claim_session_commands(${owner}, ${limit}, ${interval(claimTtlMs)}::interval)`;
      return rows.map((r) => ({ ...r, id: Number(r.id) }) as unknown as CommandRow);
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
