// Source rewrites applied to Baileys 7.0.0-rc14 at load time (install.ts). Each one replaces one exact
// snippet that must occur exactly once in its file; baileys-patches.test.ts fails when Baileys changes.

export interface BaileysPatch {
  name:
    | 'shared-als' | 'session-key-lock' | 'receipt-failure-keeps-message' | 'media-reupload-on-expiry'
    | 'pre-login-ack' | 'companion-reg-refresh' | 'passkey-gate' | 'live-messages-in-order';
  /** path inside node_modules */
  file: string;
  target: string;
  replacement: string;
}

/**
 * Baileys creates one AsyncLocalStorage per socket (lib/Utils/auth-utils.js, addTransactionCapability) and
 * never disables it. On Node 20 every enabled ALS adds work to every Promise and timer in the process, so
 * CPU per message and memory grow with the number of sockets ever opened (baileys-performance.md: 615 msg/s
 * with 1 session, 115 with 50; 582 with one shared ALS). Every socket shares ONE AsyncLocalStorage instead,
 * with an owner check that keeps transactions per socket (install.ts provides the factory).
 */
export const SHARED_ALS: BaileysPatch = {
  name: 'shared-als',
  file: '@whiskeysockets/baileys/lib/Utils/auth-utils.js',
  target: 'const txStorage = new AsyncLocalStorage();',
  replacement: 'const txStorage = globalThis.__whatsappLiteTxStorage ? globalThis.__whatsappLiteTxStorage() : new AsyncLocalStorage();',
};

/**
 * Every socket of one session shares one transaction capability, and all of the session's transactions
 * that can touch a Signal session one lock (session-keys.ts says why: stock rc14 loses ratchet updates
 * when a replaced socket and its successor, or a send and a receive, or a PN- and a LID-addressed
 * transaction, commit the same session; the fault suite lost inbound messages with "Bad MAC").
 */
export const SESSION_KEY_LOCK: BaileysPatch = {
  name: 'session-key-lock',
  file: '@whiskeysockets/baileys/lib/Socket/socket.js',
  target: 'const keys = addTransactionCapability(authState.keys, logger, transactionOpts);',
  replacement: 'const keys = globalThis.__whatsappLiteSessionKeys ? globalThis.__whatsappLiteSessionKeys(authState.keys, logger, transactionOpts, addTransactionCapability) : addTransactionCapability(authState.keys, logger, transactionOpts);',
};

/**
 * A contact's message that arrives as the socket dies: Baileys decrypts it (the Signal session moves on
 * and is saved), then sends the delivery receipt, which throws "Connection Closed", so the message never
 * reaches messages.upsert. WhatsApp, which got no receipt, delivers it again at the next login, where the
 * copy no longer decrypts ("Key used already") and Baileys drops it: the message was lost for good
 * (found by the fault suite's socket drops). With this patch a failed receipt is logged and the message
 * is still emitted; the redelivered copy is then dropped as a duplicate, so it is stored exactly once.
 */
export const RECEIPT_FAILURE_KEEPS_MESSAGE: BaileysPatch = {
  name: 'receipt-failure-keeps-message',
  file: '@whiskeysockets/baileys/lib/Socket/messages-recv.js',
  target: 'await sendReceipt(msg.key.remoteJid, participant, [msg.key.id], type);',
  replacement: "await sendReceipt(msg.key.remoteJid, participant, [msg.key.id], type).catch(err => logger.warn({ err, id: msg.key.id }, 'delivery receipt not sent; the message is still emitted and WhatsApp will deliver it again'));",
};

/**
 * Baileys#2767: downloadMediaMessage asks the phone to re-upload an expired file (HTTP 404/410) only when
 * `error.status` is a number, but getHttpStream throws a Boom, which carries the status as
 * `output.statusCode`: the re-upload branch never runs and the file is lost once WhatsApp's CDN drops it
 * (test/sim/media.test.ts shows stock rc14 failing this way). With this patch the Boom's status counts.
 */
export const MEDIA_REUPLOAD_ON_EXPIRY: BaileysPatch = {
  name: 'media-reupload-on-expiry',
  file: '@whiskeysockets/baileys/lib/Utils/messages.js',
  target: `typeof error?.status === 'number' && // treat errors with status as HTTP failures requiring reupload
            REUPLOAD_REQUIRED_STATUS.includes(error.status)) {`,
  replacement: `REUPLOAD_REQUIRED_STATUS.includes(error?.output?.statusCode ?? error?.status)) {`,
};

/**
 * rc14 handles every live `<message>` node as it arrives, side by side (messages-recv.js processNode), and
 * awaits the LID-mapping lookups and writes of each one before its decrypt takes the message mutex: a
 * node whose lookup is slower is overtaken, so a burst of one contact's messages reaches messages.upsert
 * out of order (test/e2e/connector-messaging.test.ts "a burst ...": 30 messages came out in three
 * interleaved runs). The timeline and mark-read use the order messages were stored in within a second.
 * With this patch live message nodes are handled one after another in arrival order, as the offline
 * queue (makeOfflineNodeProcessor) already handles offline ones.
 */
export const LIVE_MESSAGES_IN_ORDER: BaileysPatch = {
  name: 'live-messages-in-order',
  file: '@whiskeysockets/baileys/lib/Socket/messages-recv.js',
  target: `        else {
            await processNodeWithBuffer(node, identifier, exec);
        }`,
  replacement: `        else if (type === 'message') {
            const handled = (processNode.liveMessages ?? Promise.resolve()).then(() => processNodeWithBuffer(node, identifier, exec));
            processNode.liveMessages = handled.catch(() => { });
            await handled;
        }
        else {
            await processNodeWithBuffer(node, identifier, exec);
        }`,
};
