// The web app builds with Vite, and serveWebApp serves it with its runtime config and SPA fallback;
// the built app renders the sign-in page in Chromium (English and Spanish) without console errors.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebApp, serveWebApp, type WebAppServer } from '../../web/index.ts';
import { findAccessibilityViolations, launchChromium, openPage, screenshot } from './web-browser.ts';

const supabaseUrl = 'http://127.0.0.1:9'; // never contacted: a signed-out page makes no API calls
const supabasePublishableKey = 'sb_publishable_test-key';

let distDir: string;
let server: WebAppServer;
let browser: Browser;

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'wl-web-dist-'));
  await buildWebApp({ outDir: distDir, logLevel: 'error' });
  server = await serveWebApp({ port: 0, supabaseUrl, supabasePublishableKey, distDir });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (distDir) await rm(distDir, { recursive: true, force: true });
});

describe('web app build and server', () => {
  it('buildWebApp writes index.html that loads the runtime config before the bundle', async () => {
    const html = await readFile(join(distDir, 'index.html'), 'utf8');
    expect(html).toContain('<script src="/config.js"');
    expect(html).toMatch(/<script type="module"[^>]+src="\/assets\/index-[\w-]+\.js"/);
  });

  it('serves the runtime config as /config.js and /config.json, never cached', async () => {
    const js = await fetch(`${server.url}/config.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(js.headers.get('cache-control')).toBe('no-store');
    expect(await js.text()).toContain(JSON.stringify({ supabaseUrl, supabasePublishableKey }));
    const json = await fetch(`${server.url}/config.json`);
    expect(await json.json()).toEqual({ supabaseUrl, supabasePublishableKey });
  });

  it('serves index.html for client routes, 404 for missing assets and paths outside dist', async () => {
    const route = await fetch(`${server.url}/some/client/route`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<div id="root"></div>');
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('renders the sign-in form in English, switches to Spanish and remembers it, without console errors', async () => {
    const { page, context, errors } = await openPage(browser, { locale: 'en-US' });
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.getByLabel('Email').fill('someone@example.com');
    await page.getByLabel('Language').selectOption('es');
    await page.getByRole('heading', { name: 'Inicia sesión en tu espacio de trabajo' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Inicia sesión en tu espacio de trabajo' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('es');
    await screenshot(page, 'build-sign-in-es');
    expect(await findAccessibilityViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Crear cuenta' }).click();
    await page.getByRole('heading', { name: 'Crea tu cuenta' }).waitFor();
    expect(await findAccessibilityViolations(page)).toEqual([]);
    await context.close();
    expect(errors).toEqual([]);
  });

  it('follows a Spanish browser language and fits a 360 px phone screen without horizontal scrolling', async () => {
    const { page, context, errors } = await openPage(browser, { locale: 'es-ES', width: 360, height: 740 });
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Iniciar sesión' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'build-sign-in-phone-es');
    expect(await findAccessibilityViolations(page)).toEqual([]);
    await context.close();
    expect(errors).toEqual([]);
  });

  it('can be used by keyboard: the skip link comes first, then a logical order, each with a visible focus ring', async () => {
    const { page, context, errors } = await openPage(browser, { locale: 'en-US' });
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return null;
        const style = getComputedStyle(el);
        const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
        return { name: label ?? el.textContent?.trim() ?? el.tagName, ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 };
      });
      expect(focused?.ring, `visible focus on ${focused?.name}`).toBe(true);
      order.push(focused!.name);
    }
    expect(order).toEqual(['Skip to main content', 'Language', 'Email', 'Password', 'Sign in', 'Create account']);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter'); // the skip link moves focus to the main content
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('main');
    await context.close();
    expect(errors).toEqual([]);
  });
});
