// Shared Playwright helpers for the web app tests: Debian's Chromium, console-error capture, screenshots.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'web');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
}

/** A fresh context (own storage, so its own signed-in user) whose console errors are recorded. */
export async function openPage(
  browser: Browser,
  options: { locale?: string; width?: number; height?: number } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return { page, context, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Runs axe-core (WCAG 2.1 A/AA: labels, contrast, roles, focus order…) on the page as it is now. */
export async function findAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => 'axe' in window);
  if (!hasAxe) await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** What useWebSuite needs of a harness (test/e2e/web-harness.ts's WebHarness has it). */
export interface SuiteHarness {
  browser: Browser;
  web: { url: string };
  stop(): Promise<void>;
}

/**
 * The set-up the conversation page tests share: `start` runs once before the file's tests; after each test no
 * page it opened logged a console error; at the end every page is closed and the harness stopped.
 * `open` opens a fresh page (own storage) that is watched and closed so; `signedIn` opens one and signs `who` in.
 */
export function useWebSuite(start: () => Promise<SuiteHarness>) {
  let harness: SuiteHarness | undefined;
  const watched: WatchedPage[] = [];
  beforeAll(async () => {
    harness = await start();
  }, 240_000);
  afterEach(() => {
    const errors = watched.flatMap((w) => w.errors.splice(0));
    expect(errors, 'browser console errors').toEqual([]);
  });
  afterAll(async () => {
    await Promise.all(watched.map((w) => w.context.close().catch(() => {})));
    await harness?.stop();
  });
  const open = async (options: Parameters<typeof openPage>[1] = {}): Promise<WatchedPage> => {
    const w = await openPage(harness!.browser, options);
    watched.push(w);
    return w;
  };
  return {
    open,
    async signedIn(who: { email: string; password: string }, locale = 'en-US'): Promise<Page> {
      const w = await open({ locale });
      await w.page.goto(harness!.web.url);
      await w.page.locator('input[type=email]').fill(who.email);
      await w.page.locator('input[type=password]').fill(who.password);
      await w.page.locator('form button[type=submit]').click();
      await w.page.locator('nav.tabs').waitFor();
      return w.page;
    },
  };
}

/** Reads until `ok` holds (polling every 100 ms) and returns that value; after `timeoutMs` fails naming `what`. */
export async function waitFor<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 45_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
