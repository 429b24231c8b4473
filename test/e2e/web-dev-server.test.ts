// `npm start` serves the web app with the Vite dev server (React StrictMode, config from
// VITE_SUPABASE_URL / VITE_SUPABASE_PUBLISHABLE_KEY). This proves that mode links a phone by QR live, with
// Realtime subscriptions surviving StrictMode's double effects, and logs no console errors.
import { createServer, type ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot } from './web-browser.ts';
import { randomPhone, scanLikeAUser, startWebHarness, type WebHarness } from './web-harness.ts';

let h: WebHarness;
let dev: ViteDevServer;
let devUrl: string;

beforeAll(async () => {
  h = await startWebHarness({ build: false });
  process.env.VITE_SUPABASE_URL = h.stack.url;
  process.env.VITE_SUPABASE_PUBLISHABLE_KEY = h.stack.publishableKey;
  dev = await createServer({
    configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
    server: { port: 0, host: '127.0.0.1', strictPort: false },
    logLevel: 'error',
  });
  await dev.listen();
  devUrl = `http://127.0.0.1:${(dev.httpServer!.address() as AddressInfo).port}`;
}, 240_000);

afterAll(async () => {
  await dev?.close();
  await h?.stop();
});

describe('web app under the Vite dev server', () => {
  it('serves /config.js from the VITE_ variables and links a phone by QR live under StrictMode', async () => {
    const config = await (await fetch(`${devUrl}/config.js`)).text();
    expect(config).toContain(h.stack.url);

    const user = await h.stack.signUp();
    const phone = randomPhone('+346');
    const { page, context, errors } = await openPage(h.browser);
    await page.goto(devUrl);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Connect WhatsApp' }).click();
    const qr = page.locator('canvas[data-qr-value]');
    await qr.waitFor({ timeout: 60_000 });
    await scanLikeAUser(h.sim, () => qr.getAttribute('data-qr-value'), { phone });
    await page.locator(`[data-testid="connected-phone"][data-phone="${phone}"]`).waitFor({ timeout: 30_000 });
    await screenshot(page, 'dev-server-connected');
    await context.close();
    expect(errors).toEqual([]);
  });
});
