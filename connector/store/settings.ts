// configuracion_mensajeria_usuario: the per-user messaging settings the connector applies (read only here).
import { withDeadline, type Sql } from './db.ts';

export interface SettingsRow {
  user_id: string;
  active: boolean;
  config: unknown;
}

export function makeSettingsStore(sql: Sql) {
  return {
    async forUsers(userIds: string[]): Promise<SettingsRow[]> {
      if (userIds.length === 0) return [];
      return (await withDeadline(sql`select user_id, active, config from configuracion_mensajeria_usuario
        where platform = 'whatsapp' and user_id = any(${userIds}::uuid[])`)) as unknown as SettingsRow[];
    },
    /**
     * Rows changed after `since` (a database timestamp from the previous call, null = now) minus `overlapMs`,
     * and the database time of this read. updated_at is the writing transaction's start, so a transaction that
     * committed after our last read may carry an older stamp: the overlap re-reads it.
     */
    async changedSince(since: Date | null, overlapMs: number): Promise<{ rows: SettingsRow[]; readAt: Date }> {
      const [result] = await withDeadline(sql`
        select statement_timestamp() as read_at, coalesce((
          select jsonb_agg(jsonb_build_object('user_id', user_id, 'active', active, 'config', config))
            from configuracion_mensajeria_usuario
           where platform = 'whatsapp'
             and updated_at > coalesce(${since}::timestamptz, statement_timestamp()) - ${overlapMs} * interval '1 millisecond'
        ), '[]'::jsonb) as rows`);
      return { rows: result!.rows as SettingsRow[], readAt: result!.read_at as Date };
    },
  };
}

export type SettingsStore = ReturnType<typeof makeSettingsStore>;
