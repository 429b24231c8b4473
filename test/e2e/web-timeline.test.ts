// The contact's side of a conversation in Chromium, against the real stack, connector and simulator: what
// WhatsApp did to a message after it arrived shows under it (issue 13 item 4): the contact's edit (the earlier
// text stays readable), a delete for everyone (marked, text kept), the contact's reaction (live, never shown as
// ours, and gone when taken back) next to the rep's own reaction typed on the phone (live, as ours), an ad
// lead's placeholder the phone never resent ("Waiting for the message…"), and the messages that came with the
// phone's history on link ("From the phone's history").
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findAccessibilityViolations, screenshot, useWebSuite } from './web-browser.ts';
import { randomPhone, scanLikeAUser, startWebHarness, type WebHarness } from './web-harness.ts';

let h: WebHarness;
const { signedIn } = useWebSuite(async () => (h = await startWebHarness()));

const message = (page: Page, waId: string) => page.getByTestId('thread').locator(`li[data-wa-message-id="${waId}"]`);

describe('web app: the timeline of a conversation', () => {
  it('shows the contact\'s edit with the earlier text, a delete for everyone, a live reaction, a pending ad lead and imported history', async () => {
    const accountPhone = randomPhone('+346');
    const hugo = h.sim.contact(randomPhone('+346'), { name: 'Hugo History' });
    const historyId = `HIST${Date.now()}W1`;
    h.sim.seedHistory(accountPhone, [
      { with: hugo.phone, messages: [{ fromMe: false, text: 'Pedido de la semana pasada', at: new Date(Date.now() - 3_600_000), id: historyId }] },
    ]);
    const signedUp = await h.stack.signUp();
    const page = await signedIn(signedUp);
    await page.getByRole('button', { name: 'Connect WhatsApp' }).click();
    const qr = page.locator('canvas[data-qr-value]');
    await qr.waitFor({ timeout: 30_000 });
    await scanLikeAUser(h.sim, () => qr.getAttribute('data-qr-value'), { phone: accountPhone, pushName: 'Rep' });
    await page.locator(`[data-testid="connected-phone"][data-phone="${accountPhone}"]`).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Conversations', exact: true }).click();

    const carla = h.sim.contact(randomPhone('+346'), { name: 'Carla Contact' });
    const lina = h.sim.contact(randomPhone('+346'), { name: 'Lina Lead' }).setSharesPhone(false);
    const first = await carla.sendText(accountPhone, 'Hola, quiero la talla M');
    const second = await carla.sendText(accountPhone, 'Perdón, mensaje equivocado');
    await carla.editMessage(accountPhone, first, 'Hola, quiero la talla L');
    await carla.deleteForEveryone(accountPhone, second);
    await carla.react(accountPhone, first, '❤️', { mine: true });
    const lead = lina.sendAdLead(accountPhone, 'Vi tu anuncio', { resendable: false });

    const entry = (name: string) => page.getByTestId('conversation-list').locator('button.conversation').filter({ hasText: name });
    await entry('Carla Contact').click();
    const edited = message(page, first);
    await edited.getByTestId('contact-edited').waitFor({ timeout: 30_000 });
    await expect(edited.locator('.message-text').textContent()).resolves.toBe('Hola, quiero la talla L');
    await edited.getByTestId('contact-edited').locator('summary').click();
    await expect(edited.getByTestId('contact-edited').textContent()).resolves.toContain('Before: Hola, quiero la talla M');
    await message(page, second).getByTestId('contact-deleted').waitFor({ timeout: 30_000 });
    // delete for everyone keeps the text (a CRM's record), marked
    await expect(message(page, second).locator('.message-text').textContent()).resolves.toBe('Perdón, mensaje equivocado');
    await edited.getByTestId('contact-reaction').waitFor({ timeout: 30_000 });
    await expect(edited.getByTestId('contact-reaction').textContent()).resolves.toBe('Carla Contact reacted ❤️');
    // live messages carry no history mark
    await expect(edited.getByTestId('imported').count()).resolves.toBe(0);
    await screenshot(page, 'timeline-01-contact-side');
    expect(await findAccessibilityViolations(page)).toEqual([]);

    // the contact's reaction is theirs: no "Your reaction" and no remove button under it
    await expect(edited.getByTestId('our-reaction').count()).resolves.toBe(0);
    await edited.getByRole('button', { name: 'React 👍' }).waitFor();
    // the rep reacts on the phone (another device): shown live as ours, next to Carla's
    const rep = h.sim.phone(accountPhone);
    await rep.react(carla.phone, first, '🙏');
    await edited.getByTestId('our-reaction').filter({ hasText: 'Your reaction: 🙏' }).waitFor({ timeout: 30_000 });
    await expect(edited.getByTestId('contact-reaction').textContent()).resolves.toBe('Carla Contact reacted ❤️');

    // taken back on the phone: gone without a reload; ours stays until the rep takes it back too
    await carla.react(accountPhone, first, '', { mine: true });
    await edited.getByTestId('contact-reaction').waitFor({ state: 'detached', timeout: 30_000 });
    await expect(edited.getByTestId('our-reaction').textContent()).resolves.toBe('Your reaction: 🙏');
    await rep.react(carla.phone, first, '');
    await edited.getByTestId('our-reaction').waitFor({ state: 'detached', timeout: 30_000 });
    await edited.getByRole('button', { name: 'React 👍' }).waitFor();

    await entry('Lina Lead').click();
    await message(page, lead).waitFor({ timeout: 30_000 });
    await expect(message(page, lead).locator('.message-text').textContent()).resolves.toBe('Waiting for the message…');

    await entry('Hugo History').click();
    await message(page, historyId).getByTestId('imported').waitFor({ timeout: 30_000 });
    await expect(message(page, historyId).getByTestId('imported').textContent()).resolves.toBe('From the phone\'s history');
  });
});
