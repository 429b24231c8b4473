// Re-seals every auth-state value under the current key (npm run auth-state:rekey), so an old key can be
// retired: once no value is sealed with it, drop it from AUTH_STATE_ENCRYPTION_OLD_KEYS.
// Fenced like every connector write: a session is rewritten only while this tool holds its lease
// (acquire_session_lease; each page is one write_session_auth_state call carrying the epoch), so a running
// connector and the tool never overwrite each other. A session a connector holds is skipped and reported.
// Resumable: only values not yet sealed the current way are read, so a second run continues where one stopped.
import type { AuthRowStore, AuthRowWrite, Fence, SessionStore } from '../store/index.ts';
import { isLeaseLostError } from '../store/index.ts';
import { AuthStateDecryptError, authStateAad, type Envelope } from './envelope.ts';

export interface RekeyDeps {
  sessions: Pick<SessionStore, 'acquireLease' | 'renewAll' | 'releaseLease'>;
  rows: Pick<AuthRowStore, 'sessionsNotSealedWith' | 'pageNotSealedWith' | 'write'>;
  /** reads with the current and old keys (and v0 only with acceptPlaintext); seals with the current key */
  envelope: Envelope;
  /** this run's lease owner: distinct from every connector id */
  owner: string;
  leaseTtlMs: number;
  pageSize?: number;
  /** after each fenced page write */
  onPage?: (sessionId: string, rewritten: number) => void | Promise<void>;
}

export interface RekeyReport {
  /** sessions that had values to re-seal */
  sessions: number;
  rewritten: number;
  /** held by another owner's live lease (a running connector): run again once it is stopped or the lease moved */
  held: string[];
  /** the lease moved to someone else during the run: what was written stands, the rest is for the next run */
  leaseLost: string[];
  /** values that cannot be opened (a key not configured, tampered, or v0 without AUTH_STATE_MIGRATE_PLAINTEXT) */
  unreadable: { sessionId: string; kind: string; keyId: string; reason: string }[];
}

export async function rekeyAuthState(deps: RekeyDeps): Promise<RekeyReport> {
  const { envelope, owner, leaseTtlMs } = deps;
  if (!envelope.encrypted) throw new Error('auth-state:rekey needs AUTH_STATE_ENCRYPTION_KEY (the key to seal every value with)');
  const pageSize = deps.pageSize ?? 500;
  const prefix = envelope.currentPrefix;
  const report: RekeyReport = { sessions: 0, rewritten: 0, held: [], leaseLost: [], unreadable: [] };

  for (const sessionId of await deps.rows.sessionsNotSealedWith(prefix)) {
    report.sessions++;
    const epoch = await deps.sessions.acquireLease(sessionId, owner, leaseTtlMs);
    if (epoch === null) {
      report.held.push(sessionId);
      continue;
    }
    const fence: Fence = { sessionId, owner, epoch };
    try {
      let after: { kind: string; keyId: string } | null = null;
      for (;;) {
        const page = await deps.rows.pageNotSealedWith(sessionId, prefix, after, pageSize);
        if (page.length === 0) break;
        after = page.at(-1)!;
        const writes: AuthRowWrite[] = [];
        for (const row of page) {
          const aad = authStateAad(sessionId, row.kind, row.keyId);
          try {
            writes.push({ kind: row.kind, keyId: row.keyId, value: envelope.seal(envelope.open(row.value, aad), aad) });
          } catch (error) {
            if (!(error instanceof AuthStateDecryptError)) throw error;
            report.unreadable.push({ sessionId, kind: row.kind, keyId: row.keyId, reason: error.message });
          }
        }
        // the write asserts this epoch's live lease in the database (WL001 otherwise: someone took the session over)
        await deps.rows.write(fence, writes);
        report.rewritten += writes.length;
        await deps.onPage?.(sessionId, writes.length);
        await deps.sessions.renewAll(owner, leaseTtlMs); // a session with many values outlives one TTL
      }
    } catch (error) {
      if (!isLeaseLostError(error)) throw error;
      report.leaseLost.push(sessionId);
      continue;
    }
    await deps.sessions.releaseLease(fence);
  }
  return report;
}
