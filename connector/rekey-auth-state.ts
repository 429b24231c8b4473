// CLI: `npm run auth-state:rekey` re-seals every whatsapp_auth_state value under AUTH_STATE_ENCRYPTION_KEY,
// reading the old ones with AUTH_STATE_ENCRYPTION_OLD_KEYS (and plaintext values only with
// AUTH_STATE_MIGRATE_PLAINTEXT=enabled). Exit 0: every value is sealed with the current key, the old keys can go.
// Exit 3: some are not (sessions a running connector holds, unreadable values): the report says which; run again.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadRekeyConfig } from './config.ts';
import { makeEnvelope } from './auth-state/envelope.ts';
import { rekeyAuthState } from './auth-state/rekey.ts';
import { createStore } from './store/index.ts';

let config;
try {
  config = loadRekeyConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}

const store = createStore(config.database.url, 2);
try {
  const report = await rekeyAuthState({
    sessions: store.sessions,
    rows: store.authRows,
    envelope: makeEnvelope({ current: config.key, old: config.oldKeys, acceptPlaintext: config.acceptPlaintext }),
    owner: `auth-state-rekey-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    leaseTtlMs: config.leaseTtlMs,
    onPage: (sessionId, n) => void process.stderr.write(`session ${sessionId}: ${n} values re-sealed\n`),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const left = report.held.length + report.leaseLost.length + report.unreadable.length;
  if (left > 0) {
    process.stderr.write(`not done: ${report.held.length} sessions held by a running connector, ${report.leaseLost.length} whose lease `
      + `moved during the run, ${report.unreadable.length} unreadable values; keep the old keys and run again\n`);
  } else {
    process.stderr.write(`done: ${report.rewritten} values in ${report.sessions} sessions re-sealed; every value is under the current key\n`);
  }
  process.exitCode = left > 0 ? 3 : 0;
} finally {
  await store.close();
}
