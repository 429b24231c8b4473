// Everything the web app's end-to-end tests run against: the local stack (auth, rest, realtime, the
// whatsapp function in Deno), the offline WhatsApp simulator, a real connector, the built app served
// by serveWebApp, and Debian's Chromium. Not a test file itself.
import '../support/patched-baileys.ts';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQRModule from 'jsqr';
import type { Browser, Locator, Page } from 'playwright-core';
import { loadConfig, startConnector, type RunningConnector } from '../../connector/index.ts';
import { buildWebApp, serveWebApp, type WebAppServer } from '../../web/index.ts';
import { startSimulator, type Simulator, type StartSimulatorOptions } from '../sim/index.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { launchChromium } from './web-browser.ts';
export { scanLikeAUser } from '../sim/testing/scan-like-a-user.ts';

// jsqr is CommonJS with a `default` property: NodeNext types see the module object.
const jsQR = (jsQRModule as unknown as { default: typeof jsQRModule.default }).default;

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface WebHarness {
  stack: TestStack;
  sim: Simulator;
  connector: RunningConnector;
  web: WebAppServer;
  browser: Browser;
  stop(): Promise<void>;
}

/**
 * `build: false` skips building and serving the app (a test that runs the Vite dev server instead);
 * `connectorEnv` overrides connector settings (e.g. a short reconnect policy); `simulator` goes to startSimulator.
 */
export async function startWebHarness(
  options: { build?: boolean; connectorEnv?: Record<string, string>; simulator?: StartSimulatorOptions } = {},
): Promise<WebHarness> {
  const build = options.build ?? true;
  const distDir = await mkdtemp(join(tmpdir(), 'wl-web-dist-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(distDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  try {
    const [, stack, sim] = await Promise.all([
      build ? buildWebApp({ outDir: distDir, logLevel: 'error' }) : undefined,
      startTestStack({
        functionEnv: { DENO_DIR: `${root}.data/deno`, WHATSAPP_DEFAULT_COUNTRY: 'US', WHATSAPP_LOG_LEVEL: 'warn' },
      }),
      startSimulator(options.simulator),
    ]);
    cleanups.push(() => stack.stop(), () => sim.stop());
    const connector = await startConnector(
      loadConfig({
        DATABASE_URL: stack.databaseUrl,
        SUPABASE_URL: stack.url,
        SUPABASE_SECRET_KEY: stack.secretKey,
        AUTH_STATE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        WA_WEBSOCKET_URL: sim.url,
        WA_SIM_ROOT_KEY: sim.rootPublicKeyBase64,
        // The simulator's media hosts use its own CA: without it every media send fails its upload.
        WA_SIM_MEDIA_CA: Buffer.from(sim.mediaCaPem).toString('base64'),
        // ... and stands in for mmg.whatsapp.net, where the history sync chunks are downloaded from
        WA_SIM_MEDIA_HOST: sim.mediaHost,
        HEALTH_PORT: '0',
        HEALTH_HOST: '127.0.0.1',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        DEFAULT_COUNTRY: 'US',
        ...options.connectorEnv,
      }),
    );
    cleanups.push(() => connector.stop());
    const web = build
      ? await serveWebApp({ port: 0, supabaseUrl: stack.url, supabasePublishableKey: stack.publishableKey, distDir })
      : { url: '', port: 0, close: async () => {} };
    cleanups.push(() => web.close());
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    return { stack, sim, connector, web, browser, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Decodes the QR code from a screenshot of the element, as a phone camera would see it: the PNG is
 * decoded by the browser (no PNG library needed) and the pixels go to jsQR.
 */
export async function decodeQrScreenshot(page: Page, element: Locator): Promise<string | null> {
  const png = await element.screenshot();
  const pixels = await page.evaluate(async (base64: string) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2d context');
    context.drawImage(bitmap, 0, 0);
    const data = context.getImageData(0, 0, bitmap.width, bitmap.height);
    // Base64, not Array.from(data.data): a JSON array of a million numbers took seconds to serialize and
    // parse on a loaded box, blocking the event loop that the connector and the simulator share with the test.
    let binary = '';
    for (let i = 0; i < data.data.length; i += 0x8000) binary += String.fromCharCode(...data.data.subarray(i, i + 0x8000));
    return { width: data.width, height: data.height, rgba: btoa(binary) };
  }, png.toString('base64'));
  const rgba = Buffer.from(pixels.rgba, 'base64');
  const result = jsQR(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), pixels.width, pixels.height);
  return result?.data ?? null;
}

/** A random E.164 number: the prefix, then digits up to 11 digits in all. */
export function randomPhone(prefix = '+1555'): string {
  const digits = 11 - (prefix.length - 1);
  return `${prefix}${String(Math.floor(Math.random() * 10 ** digits)).padStart(digits, '0')}`;
}
