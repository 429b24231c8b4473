// The webhook delivery log page in Chromium against the real stack and connector: a CRM endpoint (a real local
// receiver that verifies every signature) fails, the event ends failed after its retries with each attempt
// listed; the user sends it again from the page and the receiver gets it with the same webhook-id; the
// Spanish page sends every failed event again at once. Screenshots go to test-results/web/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser } from '../support/postgres.ts';
import { waitFor } from './connector-support.ts';
import { findAccessibilityViolations, openPage, screenshot, type WatchedPage } from './web-browser.ts';
import { startWebHarness, type WebHarness } from './web-harness.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

let h: WebHarness;
const receiver = new WebhookReceiver();
const watched: WatchedPage[] = [];
beforeAll(async () => {
  await receiver.start();
  h = await startWebHarness({
    connectorEnv: {
      WEBHOOK_ALLOW_PRIVATE_ENDPOINTS: 'enabled', WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_RETRY_MAX_MS: '200', WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_CLAIM_TTL_MS: '4000',
    },
  });
}, 240_000);
afterAll(async () => {
  await Promise.all(watched.map((w) => w.context.close().catch(() => {})));
  await h?.stop();
  await receiver.stop();
});

/** A signed-in browser user whose webhook points at the receiver's `path`, answering `answer()`. */
async function signedInWithWebhook(locale: string, answer: () => number) {
  const w = await openPage(h.browser, { locale });
  watched.push(w);
  const { email, password, user } = await h.stack.signUp();
  const path = `/crm-${user.id}`;
  await asUser(h.stack.sql, user.id, async (tx) => {
    const [row] = await tx`select rotate_webhook_secret() as secret`;
    const url = receiver.route(path, row!.secret as string, answer);
    await tx`select save_messaging_settings(null, true, ${tx.json({ webhook: { url, enabled: true } })})`;
  });
  const [session] = await h.stack.sql`insert into whatsapp_sessions (user_id, status) values (${user.id}, 'logged_out') returning id`;
  /** A contact's message as the connector stores it: its message.received event goes into the outbox. */
  const receive = async (text: string) => {
    const waId = `WH${Math.random().toString(16).slice(2, 12).toUpperCase()}`;
    await h.stack.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, text, wa_timestamp)
      values (${session!.id}, ${user.id}, ${waId}, '15557770001@s.whatsapp.net', 'text', ${text}, now())`;
    const [e] = await h.stack.sql`select id from webhook_events where user_id = ${user.id} and data #>> '{message,wa_message_id}' = ${waId}`;
    return e!.id as string;
  };
  const { page } = w;
  await page.goto(h.web.url);
  await page.locator('input[type=email]').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.locator('nav.tabs').waitFor();
  return { w, page, path, userId: user.id, receive };
}

const statusOf = async (id: string) => (await h.stack.sql`select status from webhook_events where id = ${id}`)[0]?.status as string;
const row = (page: Page, id: string) => page.locator(`[data-testid=delivery-log-row][data-event-id="${id}"]`);
/** Browser console errors other than 4xx the page handles. */
const unexpectedErrors = (w: WatchedPage) => w.errors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e));

describe('web app: webhook delivery log', () => {
  it('shows a failed event with its attempts, and sends it again with the same id', async () => {
    let failing = true;
    const { w, page, path, receive } = await signedInWithWebhook('en-US', () => (failing ? 500 : 200));
    const id = await receive('hello CRM');
    await waitFor(async () => (await statusOf(id)) === 'dead', 'the event dead after 2 attempts');

    await page.getByRole('button', { name: 'Webhook log' }).click();
    await page.getByRole('heading', { name: 'Webhook delivery log' }).waitFor();
    await row(page, id).waitFor();
    await expect(row(page, id).getByTestId('event-status').textContent()).resolves.toBe('Failed');
    await expect(row(page, id).locator('td').nth(3).textContent()).resolves.toBe('2');
    await expect(row(page, id).locator('.log-result').textContent()).resolves.toContain('HTTP 500');
    await row(page, id).getByRole('button', { name: 'Show attempts' }).click();
    const attempts = page.getByTestId('attempt-list').locator('li');
    await attempts.nth(1).waitFor();
    await expect(attempts.count()).resolves.toBe(2);
    await expect(attempts.first().textContent()).resolves.toMatch(/^Attempt 1, .*: HTTP 500/);
    await screenshot(page, 'webhooks-01-failed');
    expect(await findAccessibilityViolations(page)).toEqual([]);
    expect(receiver.for(path)).toEqual([]);

    failing = false;
    await row(page, id).getByRole('button', { name: 'Send again' }).click();
    await page.getByText('The event will be sent again.').waitFor();
    await waitFor(async () => receiver.for(path).length === 1, 'the redelivered event at the receiver');
    expect(receiver.for(path)[0]).toMatchObject({ id, type: 'message.received', data: { message: { text: 'hello CRM' } } });
    // the page follows the event until it is delivered
    await row(page, id).getByTestId('event-status').getByText('Delivered').waitFor({ timeout: 20_000 });
    await attempts.nth(2).waitFor();
    await expect(attempts.count()).resolves.toBe(3);
    await expect(row(page, id).getByRole('button', { name: 'Send again' }).count()).resolves.toBe(1);
    await page.getByLabel('Show').selectOption('dead');
    await page.getByTestId('delivery-log-empty').waitFor();
    await screenshot(page, 'webhooks-02-delivered');
    expect(receiver.refused).toEqual([]);
    expect(unexpectedErrors(w)).toEqual([]);
  }, 120_000);

  it('speaks Spanish, and sends every failed event again at once', async () => {
    let failing = true;
    const { w, page, path, receive } = await signedInWithWebhook('es-ES', () => (failing ? 503 : 200));
    const ids = [await receive('uno'), await receive('dos')];
    await waitFor(async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'dead'), 'both events dead');
    await page.getByRole('button', { name: 'Registro de webhooks' }).click();
    await page.getByRole('heading', { name: 'Registro de envíos del webhook' }).waitFor();
    await row(page, ids[1]!).waitFor();
    await expect(page.getByTestId('event-status').allTextContents()).resolves.toEqual(['Fallido', 'Fallido']);
    failing = false;
    await page.getByRole('button', { name: 'Reenviar todos los fallidos' }).click();
    await page.getByText('Se reenviarán 2 eventos fallidos.').waitFor();
    await waitFor(async () => receiver.for(path).length === 2, 'both events at the receiver');
    expect(receiver.for(path).map((g) => g.id).sort()).toEqual([...ids].sort());
    await page.getByRole('button', { name: 'Actualizar' }).click();
    await waitFor(async () => (await page.getByTestId('event-status').allTextContents()).join() === 'Entregado,Entregado', 'both shown delivered');
    await screenshot(page, 'webhooks-03-es');
    expect(await findAccessibilityViolations(page)).toEqual([]);
    expect(unexpectedErrors(w)).toEqual([]);
  }, 120_000);
});
