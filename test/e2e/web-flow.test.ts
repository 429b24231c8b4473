// The web app end to end, against the real local stack, connector and WhatsApp simulator in Chromium:
// sign up/in, link by QR (decoded from the rendered picture), live status, send, receive, log out.
// Screenshots of each step go to test-results/web/. Any browser console error fails the test.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findAccessibilityViolations, screenshot, useWebSuite, type WatchedPage } from './web-browser.ts';
import { decodeQrScreenshot, randomPhone, startWebHarness, type WebHarness } from './web-harness.ts';

let h: WebHarness;

const accountPhone = randomPhone();
// A number libphonenumber accepts (the function validates recipients); the simulator takes any.
const contactPhone = randomPhone('+346');
const email = `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@test.local`;
const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
let main: WatchedPage;

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

const status = (page: Page) => page.getByTestId('connection-status');

const { open } = useWebSuite(async () => (h = await startWebHarness()));

describe('web app against the stack, connector and simulator', () => {
  it('creates an account, signs out, and signs in again with email and password', async () => {
    main = await open();
    const { page } = main;
    await page.goto(h.web.url);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await screenshot(page, '01-sign-up');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'WhatsApp connection' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    await signIn(page, { email, password });
    await expect(status(page).textContent()).resolves.toContain('Not connected');
    await screenshot(page, '02-signed-in');
    expect(await findAccessibilityViolations(page)).toEqual([]);
  });

  it('shows a QR whose picture decodes to data-qr-value; after the scan WhatsApp asks for a registration refresh, the picture changes live and the scan of the new one shows connected without a reload', async () => {
    const { page } = main;
    await page.getByRole('button', { name: 'Connect WhatsApp' }).click();
    const qr = page.locator('canvas[data-qr-value]');
    await qr.waitFor({ timeout: 30_000 });
    await expect(page.getByText('Settings › Linked devices').count()).resolves.toBe(1);
    await expect(page.getByTestId('qr-countdown').textContent()).resolves.toMatch(/refreshes in \d+ s/);
    await screenshot(page, '03-qr');
    expect(await findAccessibilityViolations(page)).toEqual([]);

    // The QR can refresh (~20 s) between reading the attribute and the picture: retry until both agree.
    let decoded: string | null = null;
    let value: string | null = null;
    for (let attempt = 0; attempt < 5 && (decoded === null || decoded !== value); attempt++) {
      value = await qr.getAttribute('data-qr-value');
      decoded = await decodeQrScreenshot(page, qr);
    }
    expect(value).toContain('2@');
    expect(decoded).toBe(value);

    // companion_reg_refresh (Baileys#2737): the first scan makes WhatsApp retire the QR's ADV secret
    await expect(h.sim.scanQr(decoded!, { phone: accountPhone, pushName: 'Web Tester' })).rejects.toMatchObject({ code: 'registration_refresh' });
    await page.locator(`canvas[data-qr-value]:not([data-qr-value="${value}"])`).waitFor({ timeout: 30_000 });
    let refreshed: string | null = null;
    let refreshedValue: string | null = null;
    for (let attempt = 0; attempt < 5 && (refreshed === null || refreshed !== refreshedValue); attempt++) {
      refreshedValue = await qr.getAttribute('data-qr-value');
      refreshed = await decodeQrScreenshot(page, qr);
    }
    expect(refreshed).toBe(refreshedValue);
    // the same ref re-rendered: only the 4th field (the ADV secret) changed
    const fields = (q: string) => q.split(',');
    expect(fields(refreshed!)[0]).toBe(fields(decoded!)[0]);
    expect(fields(refreshed!)[3]).not.toBe(fields(decoded!)[3]);
    await expect(h.sim.scanQr(decoded!, { phone: accountPhone })).rejects.toMatchObject({ code: 'retired_secret' });
    await h.sim.scanQr(refreshed!, { phone: accountPhone, pushName: 'Web Tester' });
    await page.locator(`[data-testid="connected-phone"][data-phone="${accountPhone}"]`).waitFor({ timeout: 30_000 });
    await expect(status(page).textContent()).resolves.toContain('Connected');
    await expect(page.getByText(/^Connected as \+1 555/).count()).resolves.toBe(1);
    await screenshot(page, '04-connected');
    expect(await findAccessibilityViolations(page)).toEqual([]);
  });

  it('a second user sees neither the first user\'s session nor its messages', async () => {
    const other = await h.stack.signUp();
    const second = await open();
    await second.page.goto(h.web.url);
    await signIn(second.page, other);
    await second.page.getByRole('button', { name: 'Connect WhatsApp' }).waitFor();
    await expect(status(second.page).textContent()).resolves.toContain('Not connected');
    await expect(second.page.getByText(accountPhone).count()).resolves.toBe(0);
    await expect(second.page.getByText('Messages appear here once WhatsApp is linked.').count()).resolves.toBe(1);
    const { data } = await other.client.from('whatsapp_sessions').select('id');
    expect(data).toEqual([]);
    await screenshot(second.page, '05-second-user');
  });

  it('sends a message the simulated contact receives, and its status becomes read live', async () => {
    const { page } = main;
    const contact = h.sim.contact(contactPhone, { name: 'Carla Contact', receipts: 'read' });
    const text = `Hello from the web app ${Date.now()}`;
    // An impossible number is caught in the form, before any request.
    await page.getByLabel('To (phone number)').fill('+1 555 01');
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByText('Enter a valid phone number with its country code.').waitFor();
    await expect(page.getByLabel('To (phone number)').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByLabel('To (phone number)').fill(contactPhone);
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const row = page.locator('li[data-direction="out"]', { hasText: text });
    await row.waitFor();
    const received = await contact.waitForMessage({ text }, { timeoutMs: 30_000 });
    expect(received.from).toBe(accountPhone);
    await page.locator('li[data-direction="out"][data-status="read"]', { hasText: text }).waitFor({ timeout: 30_000 });
    await screenshot(page, '06-sent-read');
  });

  it('shows the contact\'s reply, and a message typed on the phone itself, in the list live', async () => {
    const { page } = main;
    const contact = h.sim.contact(contactPhone, { name: 'Carla Contact' });
    const reply = `Got it, thanks! ${Date.now()}`;
    await contact.sendText(accountPhone, reply);
    const row = page.locator('li[data-direction="in"]', { hasText: reply });
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain('From');
    const typedOnPhone = `Typed on the phone ${Date.now()}`;
    await h.sim.phone(accountPhone).sendText(contactPhone, typedOnPhone);
    const own = page.locator('li[data-direction="in"][data-status="from-phone"]', { hasText: typedOnPhone });
    await own.waitFor({ timeout: 30_000 });
    await expect(own.textContent()).resolves.toContain('Sent from your phone');
    await screenshot(page, '07-reply');
    expect(await findAccessibilityViolations(page)).toEqual([]);
  });

  it('names a contact by name and phone, and one who hides her number by her name and "number hidden", never by LID digits', async () => {
    const { page } = main;
    // a contact who shares her number: name and phone, also on what the owner typed to her on the phone
    const carla = page.locator('li[data-direction="in"]:not([data-status="from-phone"])', { hasText: 'Got it, thanks!' });
    await expect(carla.textContent()).resolves.toContain('From Carla Contact · +34');
    const typed = page.locator('li[data-status="from-phone"]', { hasText: 'Typed on the phone' });
    await expect(typed.textContent()).resolves.toContain('To Carla Contact · +34');
    const lina = h.sim.contact(randomPhone('+346'), { name: 'Lina Lead' }).setSharesPhone(false);
    const text = `Hi, I saw your ad ${Date.now()}`;
    await lina.sendText(accountPhone, text);
    const row = page.locator('li[data-direction="in"]', { hasText: text });
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain('From Lina Lead · number hidden');
    expect(await row.textContent()).not.toContain(lina.lid.split('@')[0]!);
    await screenshot(page, '07b-number-hidden');
  });

  it('shows the connected state in Spanish on a 360 px phone screen without horizontal scrolling', async () => {
    const phone = await open({ locale: 'es-ES', width: 360, height: 780 });
    await phone.page.goto(h.web.url);
    await phone.page.getByLabel('Correo electrónico').fill(email);
    await phone.page.getByLabel('Contraseña').fill(password);
    await phone.page.getByRole('button', { name: 'Iniciar sesión', exact: true }).click();
    await phone.page.locator(`[data-testid="connected-phone"][data-phone="${accountPhone}"]`).waitFor({ timeout: 30_000 });
    await expect(status(phone.page).textContent()).resolves.toContain('Conectado');
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone.page, '08-phone-es-connected');
    expect(await findAccessibilityViolations(phone.page)).toEqual([]);
    await phone.context.close();
  });

  it('pages back to older messages with "Show older messages"', async () => {
    const { page } = main;
    const [session] = await h.stack.sql<{ id: string; user_id: string }[]>`
      select id, user_id from whatsapp_sessions where phone_number = ${accountPhone} and status = 'connected'`;
    const day = 86_400_000;
    const rows = Array.from({ length: 60 }, (_, i) => ({
      session_id: session!.id,
      user_id: session!.user_id,
      wa_message_id: `OLD${i}-${Date.now()}`,
      chat_jid: `${contactPhone.slice(1)}@s.whatsapp.net`,
      sender_phone: contactPhone,
      message_type: 'text',
      text: `Old message ${i}`,
      wa_timestamp: new Date(Date.now() - (i + 1) * day),
      received_at: new Date(Date.now() - (i + 1) * day),
    }));
    await h.stack.sql`insert into inbound_messages ${h.stack.sql(rows)}`;
    await page.reload();
    await page.getByText('Old message 0', { exact: true }).waitFor();
    await expect(page.getByText('Old message 59', { exact: true }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Show older messages' }).click();
    await page.getByText('Old message 59', { exact: true }).waitFor();
    await expect(page.getByRole('button', { name: 'Show older messages' }).count()).resolves.toBe(0);
  });

  it('logs out of WhatsApp after confirming in an accessible dialog, and the page shows logged out', async () => {
    const { page } = main;
    await page.getByRole('button', { name: 'Log out' }).click();
    const dialog = page.getByRole('dialog', { name: 'Log out of WhatsApp?' });
    await dialog.waitFor();
    // The safe choice has the focus; Escape would cancel.
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Cancel');
    await screenshot(page, '09-logout-dialog');
    expect(await findAccessibilityViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Log out' }).click();
    await status(page).filter({ hasText: 'Logged out' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Link again' }).waitFor();
    await screenshot(page, '10-logged-out');
    expect(await findAccessibilityViolations(page)).toEqual([]);
    const devices = h.sim.devices().filter((d) => d.phone === accountPhone);
    expect(devices.every((d) => d.loggedOut || !d.connected)).toBe(true);
  });
});
