// The only module that creates the Postgres client.
import postgres from 'postgres';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

export function createDb(url: string, poolSize: number): Sql {
  return postgres(url, {
    max: poolSize,
    onnotice: () => {},
    idle_timeout: 60,
    connection: { application_name: 'whatsapp-connector' },
  });
}

/** SQLSTATE WL001: the caller no longer holds the session lease (fenced out). */
export const isLeaseLostError = (error: unknown) => (error as { code?: string } | null)?.code === 'WL001';

export const interval = (ms: number) => `${Math.max(0, Math.round(ms))} milliseconds`;
