// Auth state on Postgres, through the connector's own store (connector/auth-state, AES-256-GCM envelope,
// one fenced transaction per keys.set): (1) keys.set p50/p99 for the write a 1:1 send makes (two Signal
// session records); (2) a first login with no pre-keys on the server: Baileys generates and persists
// its pre-keys, then uploads them; time and rows.
import '../../sim/testing/silence-libsignal.ts';
import { randomBytes } from 'node:crypto';
import makeWASocket, { type SignalDataSet } from '@whiskeysockets/baileys';
import pino from 'pino';
import { Lru, makeEnvelope, usePostgresAuthState } from '../../../connector/auth-state/index.ts';
import { createStore } from '../../../connector/store/index.ts';
import { shouldSyncHistoryMessage } from '../../../connector/whatsapp/history-policy.ts';
import { useSimulatorCertificate } from '../../sim/index.ts';
import type { Figure } from '../harness.ts';
import { summarize, waitUntil } from '../harness.ts';
import { ENCRYPTION_KEY, seedLinkedSessions, startBenchPostgres } from '../support/environment.ts';
import { phones, SimHost } from '../support/sim-client.ts';

export const authState: Figure = {
  name: 'auth-state',
  async run(ctx) {
    const sim = await SimHost.start();
    const db = await startBenchPostgres();
    const store = createStore(db.url, 10);
    try {
      const deps = { rows: store.authRows, envelope: makeEnvelope({ current: Buffer.from(ENCRYPTION_KEY, 'base64') }), cache: new Lru<unknown>(20_000) };
      const owner = 'bench-auth-state';

      // (1) keys.set latency
      const [a] = await seedLinkedSessions(db, await sim.provision(phones(730, 1)), phones(731, 1), { wanted: false });
      const epochA = await store.sessions.acquireLease(a!.sessionId, owner, 600_000);
      const authA = await usePostgresAuthState({ sessionId: a!.sessionId, owner, epoch: epochA! }, deps);
      const n = ctx.quick ? 300 : 2000;
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const data: SignalDataSet = { session: { [`1555${i % 50}_1.0`]: randomBytes(1200), [`1555${i % 50}_1.7`]: randomBytes(1200) } } as unknown as SignalDataSet;
        const t = performance.now();
        await authA.state.keys.set(data);
        times.push(performance.now() - t);
      }
      const set = summarize(times);

      // (2) first login with an empty server pre-key count
      const [devB] = await sim.provision(phones(732, 1), { preKeyCount: 0 });
      const [b] = await seedLinkedSessions(db, [devB!], phones(733, 1), { wanted: false });
      const epochB = await store.sessions.acquireLease(b!.sessionId, owner, 600_000);
      const authB = await usePostgresAuthState({ sessionId: b!.sessionId, owner, epoch: epochB! }, deps);
      const preKeyWrites: { ms: number; rows: number }[] = [];
      const original = authB.state.keys.set.bind(authB.state.keys);
      authB.state.keys.set = async (data) => {
        const rows = Object.keys(data['pre-key'] ?? {}).length;
        const t = performance.now();
        await original(data);
        if (rows) preKeyWrites.push({ ms: performance.now() - t, rows });
      };
      useSimulatorCertificate(sim.info.rootPublicKeyBase64);
      const t0 = performance.now();
      const sock = makeWASocket({ waWebSocketUrl: sim.url, auth: authB.state, logger: pino({ level: 'silent' }), shouldSyncHistoryMessage }); // the product's policy
      sock.ev.on('creds.update', () => void authB.saveCreds());
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('first login did not open within 60 s')), 60_000);
        sock.ev.on('connection.update', (u) => { if (u.connection === 'open') { clearTimeout(t); resolve(); } });
      });
      const openMs = performance.now() - t0;
      const rowsOf = async () => {
        const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from whatsapp_auth_state where session_id = ${b!.sessionId} and kind = 'pre-key'`;
        return r!.n;
      };
      await waitUntil(async () => preKeyWrites.length > 0 && (await rowsOf()) > 0, 30_000, 'pre-keys persisted');
      const preKeyRows = await rowsOf();
      const persistedAt = performance.now() - t0;
      sock.end(undefined);
      const big = preKeyWrites.reduce((m, w) => (w.rows > m.rows ? w : m), { ms: NaN, rows: 0 });
      return {
        rows: [
          { figure: 'auth state: keys.set (2 session records) p50', value: set.p50, unit: 'ms', goal: null, note: `${n} sequential transactions, encrypted, fenced` },
          { figure: 'auth state: keys.set p99', value: set.p99, unit: 'ms', goal: { op: '<=', value: 10 } },
          { figure: 'auth state: first-login pre-key write', value: big.ms, unit: 'ms', goal: null,
            note: `${big.rows} pre-keys in one transaction; ${preKeyRows} pre-key rows persisted; socket start -> open ${Math.round(openMs)} ms, -> rows visible ${Math.round(persistedAt)} ms` },
          { figure: 'auth state: first-login pre-key rows', value: preKeyRows, unit: 'rows', goal: null },
        ],
        details: { keysSet: set, preKeyWrites, openMs, preKeyRows },
      };
    } finally {
      await store.close();
      await db.stop();
      await sim.stop();
    }
  },
};
