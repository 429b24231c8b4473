// Linking against WhatsApp as it behaves in late 2026 (issue 12), as source rewrites of Baileys 7.0.0-rc14
// applied at load time like the others (patches.ts, install.ts). Written by us from the primary sources named on
// each patch: Baileys#2737/PR #2765 and #2738/PR #2749 (registration refresh, pre-login ack), Baileys#2672/#2694
// and whatsmeow pair-passkey.go (passkey gate), whatsmeow pair.go at 33cfac51 (what the HMAC check needs). Each
// target is one exact snippet of rc14, and baileys-patches.test.ts fails when Baileys changes.
import { PASSKEY_REQUIRED_REASON } from '../../lifecycle/decide-on-close.ts';
import type { BaileysPatch } from './patches.ts';

/**
 * Acks before login (the fix of Baileys PR #2749 for #2738). rc14 builds every ack with `authState.creds.me.id`,
 * which throws a TypeError before pairing, so no notification on the registration socket is ever acked
 * (companion_reg_refresh, passkey_prologue_request). `me` only matters for message-class acks (`from`).
 * A node the passkey gate already acked (it must ack before it closes the socket) is not acked twice.
 */
export const PRE_LOGIN_ACK: BaileysPatch = {
  name: 'pre-login-ack',
  file: '@whiskeysockets/baileys/lib/Socket/messages-recv.js',
  target: 'const stanza = buildAckStanza(node, errorCode, authState.creds.me.id);',
  replacement: 'if (node.whatsappLiteAcked) { return; } const stanza = buildAckStanza(node, errorCode, authState.creds.me?.id);',
};

// rc14 Socket/socket.js, the QR generator inside `CB:iq,type:set,pair-device`: it reads the ADV secret ONCE
// (`const advB64`), so every QR of the socket carries it even after WhatsApp retired it.
const PAIR_QR_TARGET = `        const advB64 = creds.advSecretKey;
        let qrMs = qrTimeout || 60000; // time to let a QR live
        const genPairQR = () => {
            if (!ws.isOpen) {
                return;
            }
            const refNode = refNodes.shift();
            if (!refNode) {
                void end(new Boom('QR refs attempts ended', { statusCode: DisconnectReason.timedOut }));
                return;
            }
            const ref = refNode.content.toString('utf-8');
            const qr = buildPairingQRData(ref, noiseKeyB64, identityKeyB64, advB64, browser);`;

/**
 * companion_reg_refresh (Baileys#2737; fix as PR #2765 describes it; WA Web WAWebHandleCompanionReqRefreshNotification):
 * after a scan WhatsApp retires the companion's ADV secret and asks for a new one. On the notification (registration
 * socket only, `creds.me` unset; one of its two children required) the secret becomes 32 random bytes, persisted
 * through `creds.update`, and the CURRENT ref is re-rendered with it (same ref, only the 4th QR field changes); later
 * refs use it too. pair-success reads `creds.advSecretKey` when it arrives (configureSuccessfulPairing), so its HMAC
 * is checked against the new secret. Not during a pairing-code link: there the secret comes from the code exchange
 * (messages-recv.js `adv_secret`) and must not be replaced (a downstream test asserts it; unverified against WA Web).
 * The ack is the generic one (needs PRE_LOGIN_ACK).
 *
 * Why the QR must be re-rendered (primary source, whatsmeow tulir/whatsmeow pair.go at 33cfac51): the QR is
 * `ref,noise,identity,AdvSecretKey,platform` (makeQRData L115-120: the secret is the 4th field), and at pair-success the
 * companion checks HMAC-SHA256 keyed with its CURRENT AdvSecretKey over ([6,5] for a HOSTED account, prefixes L31-35) ‖
 * Details (handlePair L152-170; whatsmeow answers a mismatch with 401 "hmac-mismatch", a bad account signature with 401
 * "signature-mismatch", L188). rc14 makes the same check (Utils/validate-connection.js L141-148) against
 * `creds.advSecretKey` read when pair-success arrives (Socket/socket.js L733), so the phone, which HMACs with the
 * secret of the QR it scanned, must be shown a QR carrying the new secret.
 */
export const COMPANION_REG_REFRESH: BaileysPatch = {
  name: 'companion-reg-refresh',
  file: '@whiskeysockets/baileys/lib/Socket/socket.js',
  target: PAIR_QR_TARGET,
  // The rc14 generator with three edits: the secret is read at each QR (not once), the current ref is kept for
  // re-rendering, and the notification handler is installed where `const advB64` stood.
  replacement: PAIR_QR_TARGET
    .replace('        const advB64 = creds.advSecretKey;\n', `        let currentRef; // whatsapp-lite companion-reg-refresh (issue 12)
        ws.removeAllListeners('CB:notification,type:companion_reg_refresh');
        ws.on('CB:notification,type:companion_reg_refresh', (node) => {
            if (creds.me || creds.pairingCode || !ws.isOpen) {
                return;
            }
            if (!getBinaryNodeChild(node, 'companion_reg_refresh') && !getBinaryNodeChild(node, 'pair-device-rotate-qr')) {
                logger.warn({ id: node.attrs.id }, 'companion_reg_refresh without companion_reg_refresh or pair-device-rotate-qr: ignored');
                return;
            }
            creds.advSecretKey = randomBytes(32).toString('base64');
            ev.emit('creds.update', { advSecretKey: creds.advSecretKey });
            logger.info({ id: node.attrs.id }, 'companion_reg_refresh: ADV secret rotated, current QR re-rendered');
            if (currentRef) {
                ev.emit('connection.update', { qr: buildPairingQRData(currentRef, noiseKeyB64, identityKeyB64, creds.advSecretKey, browser) });
            }
        });
`)
    .replace("            const ref = refNode.content.toString('utf-8');\n", "            const ref = refNode.content.toString('utf-8');\n            currentRef = ref;\n")
    .replace('identityKeyB64, advB64, browser);', 'identityKeyB64, creds.advSecretKey, browser);'),
};

/**
 * passkey_prologue_request (Baileys#2672, #2694; whatsmeow pair-passkey.go handlePasskeyNotification, notification.go L507): a passkey-gated account
 * answers the scan with this instead of pair-success, and rc14 drops it and keeps rotating QRs until 408 (users see
 * an endless QR loop). We do not run the WebAuthn ceremony (Evolution keeps theirs off: "a malformed IQ can get a
 * number banned"): the registration socket acks the notification, as whatsmeow and WA Web do, and ends the link
 * attempt with a Boom whose data.reason is 'passkey_required' (statusCode 403: WhatsApp refused this link), which
 * the connector turns into the terminal status passkey_required.
 */
export const PASSKEY_GATE: BaileysPatch = {
  name: 'passkey-gate',
  file: '@whiskeysockets/baileys/lib/Socket/socket.js',
  target: `    // device paired for the first time
    // if device pairs successfully, the server asks to restart the connection`,
  replacement: `    // whatsapp-lite passkey-gate (issue 12)
    ws.on('CB:notification,type:passkey_prologue_request', (node) => {
        if (creds.me) {
            return;
        }
        clearTimeout(qrTimer);
        node.whatsappLiteAcked = true; // the generic notification ack (messages-recv.js) would race the close
        const ack = { tag: 'ack', attrs: { id: node.attrs.id, to: node.attrs.from, class: 'notification', type: node.attrs.type } };
        const fail = () => void end(new Boom('This WhatsApp account requires a passkey to link a new device', { statusCode: DisconnectReason.forbidden, data: { reason: '${PASSKEY_REQUIRED_REASON}', id: node.attrs.id } }));
        sendNode(ack).then(fail, fail);
    });
    // device paired for the first time
    // if device pairs successfully, the server asks to restart the connection`,
};

export const LINKING_PATCHES: readonly BaileysPatch[] = [PRE_LOGIN_ACK, COMPANION_REG_REFRESH, PASSKEY_GATE];
