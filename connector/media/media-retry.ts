// Our own call of WhatsApp's media-retry request ("re-upload"): rc14's downloadMediaMessage never reaches its
// re-upload branch (it checks `error.status`, the Boom carries `output.statusCode`: Baileys#2767), and
// sock.updateMediaMessage waits for the answer without a time limit. The request and answer are rc14's own
// (Utils/messages-media.js encryptMediaRetryRequest / decryptMediaRetryData, Socket/messages-send.js
// updateMediaMessage; whatsmeow mediaretry.go): `<receipt type="server-error">` to our own phone, answered by a
// `<notification type="mediaretry">` that Baileys emits as `messages.media-update`.
import { decryptMediaRetryData, encryptMediaRetryRequest, proto, type BaileysEventMap } from '@whiskeysockets/baileys';
import type { WASocket } from '../whatsapp/socket-options.ts';
import type { MediaSource } from './describe.ts';

export type ReuploadResult =
  | { ok: true; directPath: string }
  | { ok: false; gone: boolean; reason: string };

export async function requestReupload(sock: WASocket, source: MediaSource, timeoutMs: number): Promise<ReuploadResult> {
  const meId = sock.authState.creds.me?.id;
  if (!meId) return { ok: false, gone: false, reason: 'the session has no account id yet' };
  const mediaKey = Buffer.from(source.mediaKey, 'base64');
  const id = source.key.id;
  let onUpdate: ((updates: BaileysEventMap['messages.media-update']) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const answered = new Promise<BaileysEventMap['messages.media-update'][number]>((resolve, reject) => {
    onUpdate = (updates) => {
      const mine = updates.find((u) => u.key.id === id);
      if (mine) resolve(mine);
    };
    sock.ev.on('messages.media-update', onUpdate);
    timer = setTimeout(() => reject(new Error(`the phone did not answer the media-retry request within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await sock.sendNode(encryptMediaRetryRequest(source.key, mediaKey, meId));
    const update = await answered;
    if (update.error) {
      const status = (update.error as { output?: { statusCode?: number } }).output?.statusCode;
      return { ok: false, gone: status === 404, reason: `the phone could not upload it again (${status ?? 'error'}): ${update.error.message}` };
    }
    if (!update.media) return { ok: false, gone: false, reason: 'the media-retry answer carried nothing' };
    const data = decryptMediaRetryData(update.media, mediaKey, id);
    const { ResultType } = proto.MediaRetryNotification;
    if (data.result !== ResultType.SUCCESS || !data.directPath) {
      const name = ResultType[data.result ?? ResultType.GENERAL_ERROR] ?? String(data.result);
      return { ok: false, gone: data.result === ResultType.NOT_FOUND, reason: `the phone answered ${name}` };
    }
    return { ok: true, directPath: data.directPath };
  } finally {
    clearTimeout(timer);
    if (onUpdate) sock.ev.off('messages.media-update', onUpdate);
  }
}
