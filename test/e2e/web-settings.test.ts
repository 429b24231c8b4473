// The settings page in Chromium against the real stack: load defaults, save pacing / country / typing /
// webhook, see the signing secret once (never after a reload), a refused webhook address explained in the
// user's language, and the Spanish page. Screenshots go to test-results/web/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAccessibilityViolations, openPage, screenshot, type WatchedPage } from './web-browser.ts';
import { startWebHarness, type WebHarness } from './web-harness.ts';

let h: WebHarness;
const watched: WatchedPage[] = [];
beforeAll(async () => {
  h = await startWebHarness();
}, 240_000);
afterAll(async () => {
  await Promise.all(watched.map((w) => w.context.close().catch(() => {})));
  await h?.stop();
});

async function signedIn(locale = 'en-US'): Promise<{ w: WatchedPage; userId: string }> {
  const w = await openPage(h.browser, { locale });
  watched.push(w);
  const { email, password, user } = await h.stack.signUp();
  const { page } = w;
  await page.goto(h.web.url);
  await page.locator('input[type=email]').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.locator('nav.tabs').waitFor();
  return { w, userId: user.id };
}

/** Browser console errors other than the 4xx the test provoked on purpose. */
const unexpectedErrors = (w: WatchedPage) => w.errors.filter((e) => !/Failed to load resource: the server responded with a status of 400/.test(e));

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

describe('web app: settings page', () => {
  it('saves settings, shows the webhook secret once, and never again after a reload', async () => {
    const { w, userId } = await signedIn();
    const { page } = w;
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Messaging settings' }).waitFor();
    await expect(page.getByTestId('webhook-secret-state').textContent()).resolves.toContain('No signing secret yet');
    await field(page, 'Name').fill('Ventas');
    await field(page, 'Minimum time between messages (ms)').fill('2000');
    await field(page, 'Random extra wait, up to (ms)').fill('300');
    await field(page, 'Default country').fill('es');
    await field(page, 'Show "typing…" before sending').selectOption('on');
    await field(page, 'Largest media file (MB)').fill('16');

    await field(page, 'Endpoint URL').fill('http://127.0.0.1:9/hooks');
    await field(page, 'Send events').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('this installation does not allow').waitFor();
    expect(await h.stack.sql`select 1 from configuracion_mensajeria_usuario where user_id = ${userId}`).toHaveLength(0);

    await field(page, 'Endpoint URL').fill('https://crm.example.com/hooks/whatsapp');
    await field(page, 'message.updated').uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    const secret = await page.getByTestId('webhook-secret').textContent();
    expect(secret).toMatch(/^whsec_/);
    await screenshot(page, 'settings-01-saved-with-secret');
    expect(await findAccessibilityViolations(page)).toEqual([]);

    const [row] = await h.stack.sql`select name, active, config from configuracion_mensajeria_usuario where user_id = ${userId}`;
    expect(row).toEqual({
      name: 'Ventas', active: true,
      config: {
        pacing: { min_interval_ms: 2000, jitter_ms: 300 }, default_country: 'ES', typing_indicator: true,
        media_max_bytes: 16 * 1024 * 1024,
        webhook: { url: 'https://crm.example.com/hooks/whatsapp', enabled: true, events: ['message.received', 'message.status', 'session.status'] },
      },
    });

    await page.reload();
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(field(page, 'Minimum time between messages (ms)').inputValue()).resolves.toBe('2000');
    await expect(field(page, 'message.updated').isChecked()).resolves.toBe(false);
    await expect(page.getByTestId('webhook-secret-state').textContent()).resolves.toContain('never shown again');
    await expect(page.getByTestId('webhook-secret').count()).resolves.toBe(0);
    expect(await page.content()).not.toContain(secret!.slice(6));

    await field(page, 'Sending active').uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    expect((await h.stack.sql`select active from configuracion_mensajeria_usuario where user_id = ${userId}`)[0]!.active).toBe(false);

    await page.getByRole('button', { name: 'Create a new secret' }).click();
    const rotated = await page.getByTestId('webhook-secret').textContent();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    expect(unexpectedErrors(w)).toEqual([]);
  }, 120_000);

  it('speaks Spanish', async () => {
    const { w } = await signedIn('es-ES');
    const { page } = w;
    await page.getByRole('button', { name: 'Ajustes' }).click();
    await page.getByRole('heading', { name: 'Ajustes de mensajería' }).waitFor();
    await field(page, 'Tiempo mínimo entre mensajes (ms)').fill('-5');
    await page.getByRole('button', { name: 'Guardar ajustes' }).click();
    await page.getByText('Tiempo mínimo entre mensajes (ms): este valor no es válido').waitFor();
    await screenshot(page, 'settings-02-es');
    expect(await findAccessibilityViolations(page)).toEqual([]);
    expect(unexpectedErrors(w)).toEqual([]);
  }, 120_000);
});
