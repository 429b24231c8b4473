// A CRM's webhook endpoint for tests: a real local HTTP server that verifies every request's Standard
// Webhooks signature with the library the connector signs with. One server for a test file; each user
// gets its own path and decides per request what to answer (a status, or a promise of one: a slow or
// hanging receiver).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { asUser, createUser, type TestDatabase } from './connector-support.ts';

export interface Received { id: string; type: string; data: Record<string, unknown>; path: string; at: number; timestamp: string }
export type Answer = (n: number) => number | Promise<number>;

export class WebhookReceiver {
  /** verified requests answered 2xx */
  readonly got: Received[] = [];
  /** every verified request as it arrived (answered or not): what the CRM saw */
  readonly seen: Received[] = [];
  readonly refused: string[] = [];
  private readonly secrets = new Map<string, string>();
  private readonly answers = new Map<string, Answer>();
  private readonly counts = new Map<string, number>();
  private readonly openByPath = new Map<string, number>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  route(path: string, secret: string, answer: Answer = () => 200): string {
    this.secrets.set(path, secret);
    this.answers.set(path, answer);
    return `${this.url}${path}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    const secret = this.secrets.get(path);
    const headers = req.headers as Record<string, string>;
    try {
      if (!secret) throw new Error('unknown path');
      new Webhook(secret).verify(body, headers);
    } catch (err) {
      this.refused.push(`${path}: ${(err as Error).message}`);
      res.writeHead(401).end();
      return;
    }
    const parsed = JSON.parse(body) as { type: string; timestamp: string; data: Record<string, unknown> };
    const received: Received = { id: headers['webhook-id']!, type: parsed.type, data: parsed.data, path, at: Date.now(), timestamp: parsed.timestamp };
    this.seen.push(received);
    const n = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, n);
    this.openByPath.set(path, (this.openByPath.get(path) ?? 0) + 1);
    let closed = false;
    res.once('close', () => {
      closed = true;
      this.openByPath.set(path, this.openByPath.get(path)! - 1);
    });
    const status = await this.answers.get(path)!(n);
    if (closed) return; // the sender gave up (timeout) or died: nothing was answered
    if (status >= 200 && status < 300) this.got.push({ ...received, at: Date.now() });
    res.writeHead(status).end();
  }

  for(path: string): Received[] { return this.got.filter((g) => g.path === path); }
  seenFor(path: string): Received[] { return this.seen.filter((g) => g.path === path); }
  /** requests to `path` that arrived and are still waiting for their answer */
  open(path: string): number { return this.openByPath.get(path) ?? 0; }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A gate a hanging receiver waits on: `release()` lets every waiting answer through. */
export function gate(): { wait: Promise<void>; release: () => void } {
  let release!: () => void;
  const wait = new Promise<void>((resolve) => { release = resolve; });
  return { wait, release };
}

/** As the user: a signing secret (rotate_webhook_secret hands it out once), then the webhook to the receiver's `path`. */
export async function subscribeWebhook(db: TestDatabase, receiver: WebhookReceiver, userId: string, path: string, answer?: Answer): Promise<string> {
  return asUser(db.sql, userId, async (tx) => {
    const [row] = await tx`select rotate_webhook_secret() as secret`;
    const url = receiver.route(path, row!.secret as string, answer);
    await tx`select save_messaging_settings(null, true, ${tx.json({ webhook: { url, enabled: true } })})`;
    return row!.secret as string;
  });
}

/** A user with a finished session (nothing for the connector to resume); `write` adds an inbound row and returns its event id. */
export async function userWithInboundRows(db: TestDatabase, text: string) {
  const userId = await createUser(db.sql);
  const [s] = await db.sql`insert into whatsapp_sessions (user_id, status) values (${userId}, 'logged_out') returning id`;
  return {
    userId,
    write: async () => {
      const waId = `WH${Math.random().toString(16).slice(2, 12).toUpperCase()}`;
      await db.sql`insert into inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, text, wa_timestamp)
        values (${s!.id}, ${userId}, ${waId}, '15557770001@s.whatsapp.net', 'text', ${text}, now())`;
      const [e] = await db.sql`select id from webhook_events where user_id = ${userId}
        and data #>> '{message,wa_message_id}' = ${waId}`;
      return e!.id as string;
    },
  };
}
