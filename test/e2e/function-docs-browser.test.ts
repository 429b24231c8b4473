// The /docs page of the whatsapp function in real Chromium: a CRM developer can call the API from the
// page alone (token field + "Try it" console), with no external scripts to load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { apiCaller, createSignedInUser, startFunctionHarness, type FunctionHarness } from './function-stack.ts';
import { launchChromium, openPage } from './web-browser.ts';

let h: FunctionHarness;
let browser: Browser;
beforeAll(async () => {
  h = await startFunctionHarness();
  browser = await launchChromium();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

describe('whatsapp function: /docs in a browser', () => {
  it('calls POST /sessions, POST /messages and GET /sessions/{id} from the docs page with the user\'s token', async () => {
    const user = await createSignedInUser(h.stack);
    const { page, context, errors } = await openPage(browser);
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(h.stack.url)) external.push(request.url());
    });
    try {
      await page.goto(`${h.functionUrl}/docs`);
      expect(await page.inputValue('#base-url')).toBe(`${h.stack.url}/functions/v1`);
      await page.fill('#token', user.token);
      await page.dispatchEvent('#token', 'change');

      const op = (method: string, path: string) => page.locator(`section.op[data-method="${method}"][data-path="${path}"]`);
      const send = async (method: string, path: string, fill?: { param?: [string, string]; body?: unknown }) => {
        const section = op(method, path);
        await section.locator('details.try summary').click();
        if (fill?.param) await section.locator(`input[data-name="${fill.param[0]}"]`).fill(fill.param[1]);
        if (fill?.body !== undefined) await section.locator('textarea').fill(JSON.stringify(fill.body));
        await section.locator('details.try button').click();
        const result = section.locator('pre.result');
        await expect.poll(() => result.textContent(), { timeout: 30_000 }).toMatch(/^\d{3} /);
        const text = (await result.textContent())!;
        return { status: Number(text.slice(0, 3)), body: JSON.parse(text.slice(text.indexOf('\n') + 1)) };
      };

      const session = await send('POST', '/whatsapp/sessions', { body: { method: 'qr' } });
      expect(session.status).toBe(201);
      const message = await send('POST', '/whatsapp/messages', { body: { to: '+14155552671', text: 'from the docs page' } });
      expect(message.status).toBe(202);
      expect(message.body).toMatchObject({ session_id: session.body.id, to: '+14155552671', status: 'queued' });
      const read = await send('GET', '/whatsapp/sessions/{id}', { param: ['id', session.body.id] });
      expect([read.status, read.body.id]).toEqual([200, session.body.id]);

      const [row] = await h.stack.sql`select text from outbound_messages where id = ${message.body.id}`;
      expect(row).toEqual({ text: 'from the docs page' });
      expect(external).toEqual([]);
      expect(errors, errors.join('\n')).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the page lists the same routes as the OpenAPI document', async () => {
    const api = apiCaller(h.functionUrl);
    const doc = (await api('GET', '/openapi.json')).body;
    const { page, context } = await openPage(browser);
    try {
      await page.goto(`${h.functionUrl}/docs`);
      const onPage = await page.$$eval('section.op', (sections) => sections.map((s) => `${(s as HTMLElement).dataset.method} ${(s as HTMLElement).dataset.path}`));
      const inDoc = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
      expect(onPage.sort()).toEqual(inDoc.sort());
    } finally {
      await context.close();
    }
  });
});
