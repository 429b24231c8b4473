// The Realtime doorbell against the local stack's gateway: with the sweep timer set to ten minutes, only a
// postgres_changes INSERT event can make the connector act within the waits below (bounded at 45 s for a
// loaded box; with a one-minute timer a 45 s bound could have been met by the timer sweep instead).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
  connectorEnv, createLinkedSession, queueText, randomPhone, requestLink, sessionRow, startSimulator, waitFor,
  type Simulator, type TestDatabase,
} from './connector-support.ts';
import { loadConfig, startConnector, type RunningConnector } from '../../connector/index.ts';
import pino from 'pino';

let stack: TestStack;
let sim: Simulator;
const connectors: RunningConnector[] = [];
beforeAll(async () => {
  stack = await startTestStack();
  sim = await startSimulator();
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.stop()));
  await sim.stop();
  await stack.stop();
});

const asDb = () => ({ url: stack.databaseUrl, sql: stack.sql, drop: async () => {} }) as TestDatabase;

async function start(overrides: Record<string, string>) {
  const config = loadConfig(connectorEnv(asDb(), sim, overrides));
  const c = await startConnector(config, { logger: pino({ level: config.logLevel }) });
  connectors.push(c);
  return c;
}

describe('connector: Realtime doorbell', () => {
  it('acts on new commands and outbound rows through Realtime INSERT events, not only the sweep timer', async () => {
    const s = await createLinkedSession(asDb(), sim);
    const connector = await start({
      CONNECTOR_REALTIME: 'enabled', SUPABASE_URL: stack.url, SUPABASE_SECRET_KEY: stack.secretKey,
      SWEEP_INTERVAL_MS: '600000',
    });
    await waitFor(async () => connector.sessions().find((x) => x.id === s.sessionId && x.open), 'the session open (start sweep)');
    const health = await (await fetch(`http://127.0.0.1:${connector.healthPort}/healthz`)).json();
    await waitFor(async () => (await (await fetch(`http://127.0.0.1:${connector.healthPort}/healthz`)).json()).realtime === 'SUBSCRIBED',
      'the doorbell subscribed');
    expect(health.ok).toBe(true);

    const contact = await randomPhone();
    const msg = await queueText(asDb(), s, contact, 'rung in');
    await sim.contact(contact).waitForMessage({ id: msg.waId }, { timeoutMs: 45_000 });
    // The contact can have the message before the connector saw WhatsApp's ack; the sent counter moves
    // before the row is marked sent.
    await waitFor(async () => (await stack.sql`select 1 from outbound_messages where id = ${msg.id} and status <> 'queued' and status <> 'sending'`)[0],
      'the row marked sent');

    const { sessionId } = await requestLink(asDb());
    await waitFor(async () => (await sessionRow(asDb(), sessionId)).status === 'qr', 'a QR for the new link');

    const metrics = await (await fetch(`http://127.0.0.1:${connector.healthPort}/metrics`)).text();
    expect(metrics).toMatch(/whatsapp_messages_sent_total 1/);
    expect(metrics).toMatch(/whatsapp_sessions\{status="qr"\} 1/);
    expect(metrics).toMatch(/whatsapp_send_latency_seconds_bucket/);
  });

  it('keeps working with Realtime unavailable: sweeps on the timer deliver (warned, not fatal)', async () => {
    const s = await createLinkedSession(asDb(), sim);
    const connector = await start({
      CONNECTOR_REALTIME: 'enabled', SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_SECRET_KEY: stack.secretKey,
      SWEEP_INTERVAL_MS: '200',
    });
    await waitFor(async () => connector.sessions().find((x) => x.id === s.sessionId && x.open), 'the session open');
    const contact = await randomPhone();
    const msg = await queueText(asDb(), s, contact, 'swept');
    await sim.contact(contact).waitForMessage({ id: msg.waId }, { timeoutMs: 45_000 });
  });
});
