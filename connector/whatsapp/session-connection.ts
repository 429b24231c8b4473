// One SessionConnection per linked (or linking) WhatsApp account: owns its Baileys socket, its auth
// state and its lease fence. Every Baileys event handler is wrapped: a throw is logged against the
// session, never fatal. Every database write carries the fence; a lost lease closes the socket at once
// without logout and without further writes.
import { jidDecode, type BaileysEventMap, type ConnectionState } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { usePostgresAuthState, type PostgresAuthState } from '../auth-state/index.ts';
import { decideOnClose, type CloseDecision } from '../lifecycle/index.ts';
import { isLeaseLostError, type Fence, type SessionRow, type StatusChange } from '../store/index.ts';
import { AckWaiters } from './ack-waiters.ts';
import { watchConfirmations } from './confirmations.ts';
import type { ConnectionDeps, ContactEvent, LinkRequest } from './connection-deps.ts';
import { messageFromSentContent } from './sent-content.ts';
import { createSocket, type WASocket } from './socket-options.ts';
import { EventOrder } from './event-order.ts';
import { SessionWaVersion } from './session-version.ts';
import type { WaVersionChoice } from './wa-version.ts';

export type { ConnectionDeps, ConnectionHooks, ContactEvent, LinkRequest } from './connection-deps.ts';

// Baileys' own timing when qrTimeout is not set: the first ref lives 60 s, each later one 20 s.
const FIRST_QR_TTL_MS = 60_000;
const LATER_QR_TTL_MS = 20_000;

export class SessionConnection {
  readonly sessionId: string;
  readonly userId: string;
  readonly log: Logger;
  sock: WASocket | undefined;
  /** server acks for messages sent on the current socket (rejected when that socket closes) */
  acks = new AckWaiters();
  auth: PostgresAuthState | undefined;
  open = false;
  ended = false;
  readonly startedAt = Date.now();
  private attempts = 0;
  private qrCount = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastTouch = 0;
  private readonly events = new EventOrder();
  private drained: Promise<void> = new Promise(() => {});
  private markDrained: () => void = () => {};
  private settledWaiters: (() => void)[] = [];
  /** the current socket showed a QR, opened or closed (settled() must not wait for the next one) */
  private hasSettled = false;
  /** bumped by every openSocket/stopSocket: a socket whose version arrives after a newer call is not opened */
  private socketGeneration = 0;
  private readonly version: SessionWaVersion;

  constructor(
    private readonly deps: ConnectionDeps,
    private readonly claimed: SessionRow,
    readonly fence: Fence,
    private readonly link: LinkRequest | null,
  ) {
    this.sessionId = claimed.id;
    this.userId = claimed.user_id;
    this.attempts = claimed.reconnect_attempts;
    this.log = deps.logger.child({ session: claimed.id });
    this.version = new SessionWaVersion(deps.versions, (v) => deps.store.sessions.recordWaVersion(fence, v), this.log);
  }

  /** Loads credentials and opens the first socket. */
  async start(): Promise<void> {
    this.auth = await usePostgresAuthState(this.fence, this.deps.authDeps);
    const linked = Boolean(this.auth.state.creds.me);
    await this.setStatus({ status: !linked ? 'connecting' : this.claimed.status === 'connected' ? 'connected' : 'reconnecting' }); // resumed: no event pair
    this.openSocket();
  }

  get linked(): boolean {
    return Boolean(this.auth?.state.creds.me);
  }

  /** Resolves once the socket is open and WhatsApp delivered what was pending while we were away. */
  offlineDrained(): Promise<void> {
    return this.drained;
  }

  private openSocket(): void {
    if (this.ended || !this.auth) return;
    this.open = false;
    this.qrCount = 0;
    this.hasSettled = false;
    this.drained = new Promise((resolve) => (this.markDrained = resolve));
    const generation = ++this.socketGeneration;
    this.version.next()
      .then((choice) => generation === this.socketGeneration && !this.ended && this.createSocketWith(choice))
      .catch((error: unknown) => this.handleError(error, 'wa-version'));
  }

  private createSocketWith(choice: WaVersionChoice): void {
    if (!this.auth) return;
    const baileysLogger = this.log.child({ lib: 'baileys' }, { level: this.deps.config.logLevel === 'trace' ? 'warn' : 'silent' });
    const sock = createSocket(this.deps.config, {
      auth: this.auth.state,
      logger: baileysLogger,
      version: choice.version,
      // A retry receipt for one of our messages that this socket's memory no longer has (sent before a restart).
      getMessage: async (key) => {
        const kept = key.id ? await this.deps.store.messages.findSentContent(this.sessionId, key.id) : null;
        return kept ? messageFromSentContent(kept) : undefined;
      },
    });
    this.sock = sock;
    this.acks.closeAll('a new socket replaced the one the message was sent on');
    const acks = (this.acks = new AckWaiters());
    // Not through `on` below: waiters must be settled even after the session ended or was replaced.
    watchConfirmations(sock, acks, (id) => this.deps.confirmed.add(this.sessionId, id), () => {
      if (sock === this.sock) this.markDrained(); // the offline queue of this socket (Baileys' receivedPendingNotifications)
    });
    sock.ev.on('connection.update', (u) => {
      if (u.connection === 'close') acks.closeAll('the connection closed before WhatsApp acknowledged the message');
    });
    // Messages and receipts a replaced socket still emits (decrypted as it closed) are handled: their writes
    // are idempotent and fenced. Connection and creds events of a replaced socket are not.
    const on = <E extends keyof BaileysEventMap>(event: E, fn: (arg: BaileysEventMap[E]) => unknown) => {
      const late = event === 'messages.upsert' || event === 'messages.update';
      sock.ev.on(event, (arg) => {
        if ((sock !== this.sock && !late) || this.ended) return;
        this.events.handle(event, () => fn(arg), (error) => this.handleError(error, event)); // event-order.ts
      });
    };
    on('connection.update', (u) => this.onConnectionUpdate(sock, u));
    on('creds.update', () => this.auth?.saveCreds());
    on('messages.upsert', (upsert) => this.deps.hooks.onMessages(this, upsert));
    on('messages.update', (updates) => this.deps.hooks.onMessageUpdates(this, updates));
    on('messages.reaction', (reactions) => this.deps.hooks.onReactions(this, reactions));
    const contacts = (event: ContactEvent) => this.deps.hooks.onContactEvent(this, event);
    on('contacts.upsert', (list) => contacts({ type: 'contacts.upsert', contacts: list }));
    on('contacts.update', (list) => contacts({ type: 'contacts.update', contacts: list }));
    on('lid-mapping.update', (mapping) => contacts({ type: 'lid-mapping.update', mapping }));
    on('messaging-history.set', (history) => contacts({ type: 'messaging-history.set', history }));
  }

  /** The account's own JID (null before the first link completes). */
  get ownJid(): string | null {
    return this.auth?.state.creds.me?.id ?? null;
  }

  /** The phone JID Baileys' LID mapping store knows for a LID (pairs it has seen before), or null. */
  async phoneForLid(lid: string): Promise<string | null> {
    return (await this.sock?.signalRepository.lidMapping.getPNForLID(lid)) ?? null;
  }

  /** The LID WhatsApp uses for a phone JID: the mapping store, else a USync lid query. */
  async lidForPhone(jid: string): Promise<string | null> {
    return (await this.sock?.signalRepository.lidMapping.getLIDForPN(jid)) ?? null;
  }

  private handleError(error: unknown, where: string): void {
    if (isLeaseLostError(error)) {
      this.leaseLost();
      return;
    }
    this.log.error({ err: error, event: where }, 'error in WhatsApp event handler');
  }

  /** Resolves at the next open, QR, close or after timeoutMs (bounded-concurrency resumes wait on it). */
  settled(timeoutMs: number): Promise<void> {
    if (this.open || this.ended || this.hasSettled) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.settledWaiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  private async onConnectionUpdate(sock: WASocket, u: Partial<ConnectionState>): Promise<void> {
    if (u.qr || u.connection === 'open' || u.connection === 'close') {
      this.hasSettled = true;
      this.settledWaiters.splice(0).forEach((w) => w());
    }
    if (u.qr) await this.onQr(sock, u.qr);
    if (u.connection === 'open') await this.onOpen(sock);
    if (u.connection === 'close') {
      const error = u.lastDisconnect?.error as
        | { output?: { statusCode?: number }; message?: string; data?: { reason?: unknown; location?: unknown } | null }
        | undefined;
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      await this.onClose(error?.output?.statusCode, error?.message, text(error?.data?.reason), text(error?.data?.location));
    }
  }

  private async onQr(sock: WASocket, qr: string): Promise<void> {
    this.qrCount += 1;
    if (this.link?.method === 'pairing_code') {
      if (this.qrCount > 1) return; // the code stays valid; QR refs rotating underneath are not shown
      const code = await sock.requestPairingCode(this.link.phone.replace(/[^0-9]/g, ''));
      await this.setStatus({ status: 'pairing_code', pairingCode: code });
      return;
    }
    const ttl = this.deps.config.lifecycle.qrTimeoutMs ?? (this.qrCount === 1 ? FIRST_QR_TTL_MS : LATER_QR_TTL_MS);
    await this.setStatus({ status: 'qr', qr: { value: qr, expiresAt: new Date(Date.now() + ttl) } });
  }

  private async onOpen(sock: WASocket): Promise<void> {
    const me = this.auth?.state.creds.me;
    const user = me?.id ? jidDecode(me.id)?.user : undefined;
    if (!me || !user) throw new Error('connection opened without an account id in the credentials');
    const replaced = await this.deps.store.sessions.completeLink(this.fence, {
      phone: `+${user}`,
      jid: me.id,
      lid: me.lid ?? null,
      pushName: me.name ?? null,
    });
    this.attempts = 0;
    this.open = true;
    this.version.accepted();
    this.lastTouch = Date.now();
    // Without offline notifications (or if they never come), do not hold sends back for long.
    setTimeout(() => this.markDrained(), 2000).unref();
    this.log.info({ phone: `+${user}`, replaced }, 'connected');
    this.deps.hooks.onLinked(this, replaced);
    this.deps.hooks.onOpen(this);
    void sock;
  }

  private async onClose(code: number | undefined, message: string | undefined, reason?: string, location?: string): Promise<void> {
    this.open = false;
    const lc = this.deps.config.lifecycle;
    const decision: CloseDecision = decideOnClose(
      { code, message, reason, location, linked: this.linked, attempts: this.attempts, requested: false },
      { baseMs: lc.reconnectBaseMs, maxMs: lc.reconnectMaxMs, maxAttempts: lc.reconnectMaxAttempts },
    );
    this.log.info({ code, message, reason, location, decision }, 'connection closed');
    switch (decision.action) {
      case 'none':
        return;
      case 'reconnect': {
        this.attempts = decision.attempts;
        if (code !== 515) this.deps.hooks.onReconnect(code);
        await this.setStatus({
          status: this.linked ? 'reconnecting' : 'connecting',
          lastDisconnectCode: code ?? null,
          lastError: code === 515 ? undefined : `connection closed (${code ?? 'no code'}): ${message ?? ''}`.trim(),
          reconnectAttempts: decision.attempts,
        });
        this.reconnectTimer = setTimeout(() => this.openSocket(), decision.delayMs);
        return;
      }
      case 'logged_out':
        await this.endLoggedOut(decision.reason, code);
        return;
      case 'replaced':
        // 440: another client logged in with these credentials. No logout (it would unlink the device for whoever
        // drives it now); the credentials are wiped, as a terminal session never uses them again (fenced: a
        // connector that lost its lease to a successor wipes nothing, and finish() then ends without writing).
        await this.wipeCredentials().catch((error: unknown) => this.log.warn({ err: error }, '440: credentials not wiped (lease lost)'));
        await this.finish({ status: 'replaced', lastError: decision.reason, lastDisconnectCode: code ?? null }, 'session_replaced',
          'The WhatsApp session was replaced by another client before the message was sent');
        return;
      case 'failed':
        if (!this.linked) await this.wipeCredentials();
        await this.finish({ status: 'failed', lastError: decision.reason, lastDisconnectCode: code ?? null }, null, '');
        return;
      case 'ended': {
        let reason = decision.reason;
        if (decision.status === 'client_outdated') {
          const verdict = await this.version.afterRefusal();
          if (verdict.retry) {
            const status = this.linked ? 'reconnecting' : 'connecting';
            if (await this.setStatus({ status, lastDisconnectCode: 405, lastError: verdict.lastError })) this.openSocket();
            return;
          }
          reason = `${reason} (${verdict.note})`;
        }
        this.log.warn({ status: decision.status, code, reason }, 'the link ended: the user must act');
        // a link that never completed leaves nothing half-written: its partial credentials go
        if (!this.linked) await this.wipeCredentials();
        await this.finish({ status: decision.status, lastError: reason, lastDisconnectCode: code ?? null }, null, '');
        return;
      }
    }
  }

  private async endLoggedOut(reason: string, code: number | undefined): Promise<void> {
    await this.wipeCredentials();
    await this.finish({ status: 'logged_out', lastError: reason, lastDisconnectCode: code ?? null }, 'session_logged_out',
      'The WhatsApp session was logged out before the message was sent');
  }

  private async wipeCredentials(): Promise<void> {
    await this.auth?.close();
    await this.deps.store.authRows.wipe(this.fence);
    this.auth?.forget();
  }

  /** Terminal status: write it (fenced), fail unsent rows when asked, release the lease, forget the session. */
  private async finish(change: StatusChange, failCode: string | null, failText: string): Promise<void> {
    this.stopSocket();
    if (await this.setStatus(change)) {
      if (failCode) await this.deps.store.messages.failUnsent(this.sessionId, failCode, failText);
      await this.deps.store.sessions.releaseLease(this.fence);
    }
    this.end(change.status);
  }

  private stopSocket(): void {
    this.socketGeneration += 1;
    clearTimeout(this.reconnectTimer);
    const sock = this.sock;
    this.sock = undefined;
    this.open = false;
    if (sock) {
      try {
        sock.end(undefined);
      } catch (error) {
        this.log.debug({ err: error }, 'socket end failed');
      }
    }
  }

  private end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    this.settledWaiters.splice(0).forEach((w) => w());
    this.auth?.forget();
    this.deps.hooks.onEnded(this, why);
  }

  /** Fenced status write; a lost lease ends the connection. */
  async setStatus(change: StatusChange): Promise<boolean> {
    if (this.ended) return false;
    const ok = await this.deps.store.sessions.setStatus(this.fence, change);
    if (!ok) this.leaseLost();
    return ok;
  }

  /** The lease is gone: close at once, no logout, no further writes. */
  leaseLost(): void {
    if (this.ended) return;
    this.log.warn('lease lost: closing the socket without writing anything more');
    this.stopSocket();
    this.end('lease_lost');
  }

  /** disconnect command: close, keep credentials. */
  async disconnect(): Promise<void> {
    await this.finish({ status: 'disconnected', lastError: null }, null, '');
  }

  /** logout command: unlink on WhatsApp, wipe credentials. */
  async logout(): Promise<void> {
    await this.logoutOnWhatsApp('logged out by the user');
    await this.endLoggedOut('logged out by the user', undefined);
  }

  /** Closes the socket, sending remove-companion-device first when it is open; true when it was sent. */
  private async logoutOnWhatsApp(reason: string): Promise<boolean> {
    const sock = this.sock;
    this.sock = undefined;
    clearTimeout(this.reconnectTimer);
    if (!sock || !this.open) {
      sock?.end(undefined);
      return false;
    }
    return sock.logout(reason).then(() => true, (error: unknown) => {
      this.log.warn({ err: error }, 'logout on WhatsApp failed; wiping local credentials anyway');
      return false;
    });
  }

  /** reconnect command: a fresh socket with the stored credentials. */
  restart(): void {
    this.attempts = 0;
    this.stopSocket();
    void this.setStatus({ status: 'reconnecting', reconnectAttempts: 0 }).then((ok) => ok && this.openSocket());
  }

  /** Shutdown or hand-over: close WITHOUT logging out, keep status (another connector resumes it), release the lease. */
  async shutdown(): Promise<void> {
    this.stopSocket();
    if (!this.ended) await this.deps.store.sessions.releaseLease(this.fence).catch(() => false);
    this.end('shutdown');
  }

  /**
   * Ended elsewhere: a newer link of the same number replaced it (status written by complete_session_link), or it
   * expired. A replaced device is logged out on WhatsApp while its socket is open (it would stay in the phone's
   * Linked devices list, which holds only a few), then its credentials are wiped and the row says which it was.
   */
  async closeReplaced(): Promise<void> {
    const loggedOut = await this.logoutOnWhatsApp('replaced by a newer link of this number');
    this.auth?.forget();
    await this.deps.store.messages.failUnsent(this.sessionId, 'session_replaced',
      'A newer link of this WhatsApp number replaced the session before the message was sent');
    await this.deps.store.sessions.finishReplaced(this.fence, loggedOut)
      .catch((error: unknown) => this.log.warn({ err: error }, 'replaced session: lease lost before its credentials were wiped'));
    this.end('replaced_by_newer_link');
  }

  /** last_activity_at, written at most once per ACTIVITY_WRITE_INTERVAL_MS. */
  touch(): void {
    const now = Date.now();
    if (now - this.lastTouch < this.deps.config.lifecycle.activityWriteIntervalMs) return;
    this.lastTouch = now;
    this.deps.store.sessions.touchActivity(this.fence).catch((error) => this.log.warn({ err: error }, 'activity write failed'));
  }
}
