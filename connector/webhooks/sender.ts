// One signed POST to a CRM endpoint (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature,
// signed by the `standardwebhooks` library). Unless the deployment allows private endpoints, the address
// is checked twice: the URL as written, and every address its name resolves to, inside the connection's
// own DNS lookup (so a name cannot resolve to a public address for a check and to 127.0.0.1 for the send).
// Redirects are not followed: a 3xx is a failed attempt.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { checkWebhookUrl } from '../../supabase/functions/_shared/webhook-url.ts';

export interface SendResult {
  statusCode: number | null;
  /** why the attempt failed (null for a 2xx); never contains the secret */
  error: string | null;
  durationMs: number;
}

export interface SignedEvent {
  id: string;
  type: string;
  occurredAt: Date;
  data: unknown;
  secret: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export function webhookBody(e: Pick<SignedEvent, 'type' | 'occurredAt' | 'data'>): string {
  return JSON.stringify({ type: e.type, timestamp: e.occurredAt.toISOString(), data: e.data });
}

function isPrivateAddress(address: string): boolean {
  return checkWebhookUrl(address.includes(':') ? `http://[${address}]/` : `http://${address}/`, false) === 'private';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) {
      return callback(Object.assign(new Error(`${hostname} resolves to ${bad.address}, a private or loopback address`),
        { code: 'WEBHOOK_PRIVATE_ADDRESS' }), '');
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

export function sendWebhook(url: string, event: SignedEvent, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<SendResult> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): SendResult =>
    ({ statusCode, error, durationMs: performance.now() - started });
  const problem = checkWebhookUrl(url, opts.allowPrivate);
  if (problem) {
    return Promise.resolve(done(null, problem === 'private' ? 'the endpoint is a private or loopback address' : `the endpoint URL is ${problem}`));
  }
  const body = webhookBody({ type: event.type, occurredAt: event.occurredAt, data: event.data });
  const sentAt = new Date();
  const signature = new Webhook(event.secret).sign(event.id, sentAt, body);
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(target, {
      method: 'POST',
      signal: AbortSignal.timeout(opts.timeoutMs),
      ...(opts.allowPrivate ? {} : { lookup: publicOnlyLookup as never }),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'whatsapp-lite-webhooks/1',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signature,
      },
    }, (res) => {
      const status = res.statusCode ?? null;
      let seen = 0;
      res.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > MAX_RESPONSE_BYTES) res.destroy();
      });
      const finish = () => resolve(done(status, status !== null && status >= 200 && status < 300 ? null : `HTTP ${status}`));
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.name === 'AbortError' || err.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms`
        : `${err.code ?? err.name}: ${err.message}`;
      resolve(done(null, why.slice(0, 500)));
    });
    req.end(body);
  });
}
