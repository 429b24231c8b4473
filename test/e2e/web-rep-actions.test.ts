// The rep's actions in the conversations page, in Chromium against the real stack, connector and simulator:
// mark the conversation read (the contact's phone gets the read receipt), react and take the reaction back,
// reply quoting the contact's message, edit and delete for everyone the reply; each shows on the contact's
// phone in the simulator (test/sim/handlers/rep-actions.ts, receipts) and on the page. Spanish, with the
// English labels checked on a second page; axe. Screenshots go to test-results/web/.
import { describe, expect, it } from 'vitest';
import { findAccessibilityViolations, screenshot, useWebSuite, waitFor } from './web-browser.ts';
import { randomPhone, scanLikeAUser, startWebHarness, type WebHarness } from './web-harness.ts';

let h: WebHarness;
const { signedIn } = useWebSuite(async () => (h = await startWebHarness()));

const accountPhone = randomPhone('+346');
const anaPhone = randomPhone('+346');

describe('web app: rep actions in a conversation', () => {
  it('marks read, reacts and un-reacts, replies quoting, edits and deletes for everyone; the contact\'s phone shows each', async () => {
    const account = await h.stack.signUp();
    const en = await signedIn(account, 'en-US');
    await en.getByRole('button', { name: 'Connect WhatsApp' }).click();
    const qr = en.locator('canvas[data-qr-value]');
    await qr.waitFor({ timeout: 30_000 });
    await scanLikeAUser(h.sim, () => qr.getAttribute('data-qr-value'), { phone: accountPhone, pushName: 'Rep' });
    await en.locator(`[data-testid="connected-phone"][data-phone="${accountPhone}"]`).waitFor({ timeout: 30_000 });

    const ana = h.sim.contact(anaPhone, { name: 'Ana Cliente', receipts: 'none' });
    const asked = await ana.sendText(accountPhone, '¿Tienen envío gratis?');
    const page = await signedIn(account, 'es-ES');
    await page.getByRole('button', { name: 'Conversaciones', exact: true }).click();
    const entry = page.getByTestId('conversation-list').locator('button.conversation').filter({ hasText: 'Ana Cliente' });
    await entry.waitFor();
    await expect(entry.getAttribute('data-unread')).resolves.toBe('1');
    await entry.click();
    const message = page.locator(`li.message[data-wa-message-id="${asked}"]`);
    await message.waitFor();

    // mark read: WhatsApp's read receipt reaches Ana's phone; the unread count goes
    await page.getByRole('button', { name: 'Marcar como leído' }).click();
    await ana.waitForReceipt(asked, 'read');
    await waitFor(() => entry.getAttribute('data-unread'), (n) => n === '0', 'unread cleared');
    await expect(page.getByRole('button', { name: 'Marcar como leído' }).count()).resolves.toBe(0);

    // react, then take it back
    const shown = () => ana.repActions().reactions.get(asked)?.get(accountPhone)?.emoji;
    await message.getByRole('button', { name: 'Reaccionar 👍' }).click();
    await waitFor(shown, (e) => e === '👍', 'the reaction on Ana\'s phone');
    await message.getByTestId('our-reaction').filter({ hasText: 'Tu reacción: 👍' }).waitFor();
    await message.getByRole('button', { name: 'Quitar reacción' }).click();
    await waitFor(shown, (e) => e === '', 'the reaction removed on Ana\'s phone');
    await message.getByRole('button', { name: 'Reaccionar 👍' }).waitFor();

    // reply quoting her question
    await message.getByRole('button', { name: 'Responder' }).click();
    await page.getByText('Respondiendo a: ¿Tienen envío gratis?').waitFor();
    await page.getByLabel('Tu respuesta').fill('Sí, a partir de 30 €');
    await page.getByRole('button', { name: 'Enviar respuesta' }).click();
    const replyId = await waitFor(() => [...ana.repActions().quotes].find(([, quoted]) => quoted === asked)?.[0], (id) => !!id,
      'the quoted reply on Ana\'s phone') as string;
    const reply = page.locator(`li.message[data-wa-message-id="${replyId}"]`);
    await reply.getByRole('button', { name: 'Editar' }).waitFor();
    await screenshot(page, 'rep-actions-01-reply');
    expect(await findAccessibilityViolations(page)).toEqual([]);

    // edit the reply, then delete it for everyone (confirmed in a dialog)
    await reply.getByRole('button', { name: 'Editar' }).click();
    await reply.getByLabel('Nuevo texto').fill('Sí, a partir de 25 €');
    await reply.getByRole('button', { name: 'Guardar cambio' }).click();
    await waitFor(() => ana.repActions().edits.get(replyId)?.at(-1)?.text, (t) => t === 'Sí, a partir de 25 €', 'the edit on Ana\'s phone');
    await reply.getByTestId('edited').waitFor();
    await waitFor(() => reply.locator('.message-text').textContent(), (t) => t === 'Sí, a partir de 25 €', 'the edited text on the page');

    await reply.getByRole('button', { name: 'Eliminar para todos' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Eliminar para todos' }).click();
    await waitFor(() => ana.repActions().revoked.get(replyId)?.by, (by) => by === accountPhone, 'the deletion on Ana\'s phone');
    await reply.getByTestId('deleted').filter({ hasText: 'Eliminado para todos' }).waitFor();
    await expect(reply.getByRole('button', { name: 'Editar' }).count()).resolves.toBe(0);
    await screenshot(page, 'rep-actions-02-deleted');

    // the same buttons in English
    await en.getByRole('button', { name: 'Conversations', exact: true }).click();
    await en.getByTestId('conversation-list').locator('button.conversation').filter({ hasText: 'Ana Cliente' }).click();
    const enMessage = en.locator(`li.message[data-wa-message-id="${asked}"]`);
    for (const name of ['React 👍', 'Reply']) await enMessage.getByRole('button', { name }).waitFor();
    await en.locator(`li.message[data-wa-message-id="${replyId}"]`).getByText('Deleted for everyone').waitFor();
  });
});
