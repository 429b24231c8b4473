// The conversations page in Chromium against the real stack, connector and simulator: conversations of the
// linked number newest last message first, named by the display rule (name · phone, else name · "number
// hidden", never LID digits), unread counts, a conversation's messages in order, all live through Realtime;
// Spanish; another user sees none of it. Screenshots go to test-results/web/.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findAccessibilityViolations, screenshot, useWebSuite, waitFor } from './web-browser.ts';
import { randomPhone, scanLikeAUser, startWebHarness, type WebHarness } from './web-harness.ts';

let h: WebHarness;
const { signedIn } = useWebSuite(async () => (h = await startWebHarness()));

const accountPhone = randomPhone('+346');
const carlaPhone = randomPhone('+346');
let account: { email: string; password: string };
let main: Page;

/** WhatsApp's timestamps have whole seconds: wait into the next one so the order of the list is the test's. */
const nextSecond = () => new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000)));

const entries = (page: Page) => page.getByTestId('conversation-list').locator('button.conversation');
const entryTexts = (page: Page) => entries(page).evaluateAll((els) => els.map((el) => el.textContent ?? ''));
const threadTexts = (page: Page) => page.getByTestId('thread').locator('.message-text').allTextContents();

describe('web app: conversations page', () => {
  it('lists the conversations live, newest first, by the display rule with unread counts, and opens one in order', async () => {
    const signedUp = await h.stack.signUp();
    account = { email: signedUp.email, password: signedUp.password };
    main = await signedIn(account);
    await main.getByRole('button', { name: 'Connect WhatsApp' }).click();
    const qr = main.locator('canvas[data-qr-value]');
    await qr.waitFor({ timeout: 30_000 });
    await scanLikeAUser(h.sim, () => qr.getAttribute('data-qr-value'), { phone: accountPhone, pushName: 'Rep' });
    await main.locator(`[data-testid="connected-phone"][data-phone="${accountPhone}"]`).waitFor({ timeout: 30_000 });

    await main.getByRole('button', { name: 'Conversations', exact: true }).click();
    await main.getByText('No conversations yet.', { exact: false }).waitFor();

    const carla = h.sim.contact(carlaPhone, { name: 'Carla Contact' });
    const lina = h.sim.contact(randomPhone('+346'), { name: 'Lina Lead' }).setSharesPhone(false);
    await carla.sendText(accountPhone, 'Hola, soy Carla');
    await waitFor(() => entryTexts(main), (t) => t.length === 1, 'Carla\'s conversation');
    await nextSecond();
    await h.sim.phone(accountPhone).sendText(carlaPhone, 'Typed on the phone');
    await waitFor(() => entryTexts(main), (t) => t[0]?.includes('You: Typed on the phone') ?? false, 'the reply typed on the phone');
    await nextSecond();
    await lina.sendText(accountPhone, 'Vi tu anuncio');
    await waitFor(() => entryTexts(main), (t) => t.length === 2, 'Lina\'s conversation');
    await nextSecond();
    await carla.sendText(accountPhone, 'Second from Carla');
    const listed = await waitFor(() => entryTexts(main), (t) => t[0]?.includes('Second from Carla') ?? false, 'Carla on top');

    // newest first; phone with the name, else the name and "number hidden"; unread = theirs after our last one
    expect(listed[0]).toMatch(/^Carla Contact · \+34/);
    expect(listed[0]).toContain('1 unread');
    expect(listed[1]).toMatch(/^Lina Lead · number hidden/);
    expect(listed[1]).toContain('1 unread');
    expect(listed.join(' ')).not.toContain(lina.lid.split('@')[0]!);
    await expect(entries(main).nth(0).getAttribute('data-unread')).resolves.toBe('1');

    // a new message moves its conversation to the top and counts as unread, without a reload
    await nextSecond();
    await lina.sendText(accountPhone, 'Sigo interesada');
    const moved = await waitFor(() => entryTexts(main), (t) => t[0]?.startsWith('Lina Lead') ?? false, 'Lina on top');
    expect(moved[0]).toContain('2 unread');
    expect(moved[0]).toContain('Sigo interesada');
    await screenshot(main, 'conversations-01-list');

    // opening Carla's conversation shows her messages and the one typed on the phone, in order
    await entries(main).filter({ hasText: 'Carla Contact' }).click();
    await main.getByRole('heading', { name: /^Carla Contact · \+34/ }).waitFor();
    await waitFor(() => threadTexts(main), (t) => t.length === 3, 'Carla\'s messages');
    expect(await threadTexts(main)).toEqual(['Hola, soy Carla', 'Typed on the phone', 'Second from Carla']);
    await expect(entries(main).filter({ hasText: 'Carla Contact' }).getAttribute('aria-current')).resolves.toBe('true');
    // live in the open conversation; Lina's messages never show in Carla's
    await nextSecond();
    await carla.sendText(accountPhone, 'Third from Carla');
    await waitFor(() => threadTexts(main), (t) => t.at(-1) === 'Third from Carla', 'the new message at the end');
    expect(await threadTexts(main)).toEqual(['Hola, soy Carla', 'Typed on the phone', 'Second from Carla', 'Third from Carla']);
    await screenshot(main, 'conversations-02-thread');
    expect(await findAccessibilityViolations(main)).toEqual([]);

    await entries(main).filter({ hasText: 'Lina Lead' }).click();
    await main.getByRole('heading', { name: 'Lina Lead · number hidden' }).waitFor();
    await waitFor(() => threadTexts(main), (t) => t.length === 2, 'Lina\'s messages');
    expect(await threadTexts(main)).toEqual(['Vi tu anuncio', 'Sigo interesada']);
  });

  it('in Spanish on a phone screen: "número oculto", "sin leer", no horizontal scrolling', async () => {
    const page = await signedIn(account, 'es-ES');
    await page.setViewportSize({ width: 360, height: 780 });
    await page.getByRole('button', { name: 'Conversaciones', exact: true }).click();
    const listed = await waitFor(() => entryTexts(page), (t) => t.length === 2, 'the two conversations');
    expect(listed[0]).toMatch(/^Carla Contact · \+34/);
    expect(listed[1]).toMatch(/^Lina Lead · número oculto/);
    expect(listed[1]).toContain('2 sin leer');
    await entries(page).filter({ hasText: 'Lina Lead' }).click();
    await page.getByRole('heading', { name: 'Lina Lead · número oculto' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await screenshot(page, 'conversations-03-es-phone');
    expect(await findAccessibilityViolations(page)).toEqual([]);
  });

  it('another user sees none of these conversations', async () => {
    const other = await h.stack.signUp();
    const page = await signedIn(other);
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();
    await page.getByText('Messages appear here once WhatsApp is linked.').waitFor();
    await expect(page.getByText('Carla Contact').count()).resolves.toBe(0);
    const { data } = await other.client.from('whatsapp_conversations').select('contact_id');
    expect(data).toEqual([]);
  });
});
