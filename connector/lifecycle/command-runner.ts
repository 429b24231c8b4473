// session_commands: connect (new link: QR or pairing code), disconnect, logout, reconnect.
// Each command ends done, or failed with a readable error.
import type { Logger } from 'pino';
import { TERMINAL_SESSION_STATUSES } from '../../supabase/functions/_shared/database.types.ts';
import { isE164 } from '../../supabase/functions/_shared/phone.ts';
import type { ConnectorConfig } from '../config.ts';
import type { CommandRow, Fence, SessionRow, SessionStatus, Store } from '../store/index.ts';
import type { LinkRequest } from '../whatsapp/index.ts';
import type { SessionManager } from '../whatsapp/session-manager.ts';

const ENDED: ReadonlySet<SessionStatus> = new Set(TERMINAL_SESSION_STATUSES);

class CommandError extends Error {}
/** Another connector holds the session: give the command back for it. */
class NotOurs extends Error {}

export class CommandRunner {
  private running = false;

  constructor(
    private readonly config: ConnectorConfig,
    private readonly store: Store,
    private readonly manager: SessionManager,
    private readonly logger: Logger,
  ) {}

  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const commands = await this.store.commands.claim(this.config.connectorId, 20, this.config.commands.claimTtlMs);
        for (const command of commands) await this.run(command);
        if (commands.length < 20) break;
      }
    } finally {
      this.running = false;
    }
  }

  private async run(command: CommandRow): Promise<void> {
    const owner = this.config.connectorId;
    const log = this.logger.child({ session: command.session_id, command: command.command, commandId: command.id });
    try {
      await this.execute(command);
      await this.store.commands.complete(command.id, owner, null);
      log.info('command done');
    } catch (error) {
      if (error instanceof NotOurs) {
        await this.store.commands.giveBack(command.id, owner);
        return;
      }
      const message = error instanceof CommandError ? error.message : `internal error: ${(error as Error).message}`;
      if (!(error instanceof CommandError)) log.error({ err: error }, 'command failed');
      await this.store.commands.complete(command.id, owner, message);
    }
  }

  private async execute(command: CommandRow): Promise<void> {
    const conn = this.manager.get(command.session_id);
    const row = await this.store.sessions.get(command.session_id);
    if (!row) throw new CommandError('the session no longer exists');
    switch (command.command) {
      case 'connect':
      case 'pairing_code': {
        if (conn && !conn.ended) return; // already linking or connected: nothing to do
        if (ENDED.has(row.status)) throw new CommandError(`the session is ${row.status}; start a new link`);
        const link = this.linkOf(command, row);
        if (link.method === 'pairing_code' && !isE164(link.phone)) {
          throw new CommandError('a pairing code needs the phone number in E.164 form, like +15551234567');
        }
        await this.manager.open(row, await this.lease(row), link);
        return;
      }
      case 'reconnect': {
        if (conn && !conn.ended) {
          conn.restart();
          return;
        }
        if (ENDED.has(row.status)) throw new CommandError(`the session is ${row.status}; start a new link`);
        if (!(await this.store.authRows.hasCredentials(row.id)) || !row.phone_number) {
          throw new CommandError('the session was never linked; start a new link');
        }
        await this.manager.open(row, await this.lease(row), null);
        return;
      }
      case 'disconnect': {
        if (conn && !conn.ended) return conn.disconnect();
        if (ENDED.has(row.status) || row.status === 'disconnected') return;
        const fence = await this.fence(row);
        await this.store.sessions.setStatus(fence, { status: 'disconnected', lastError: null });
        await this.store.sessions.releaseLease(fence);
        return;
      }
      case 'logout': {
        if (conn && !conn.ended) return conn.logout();
        if (ENDED.has(row.status) && row.status !== 'failed') return;
        // No live socket: the device cannot be unlinked on WhatsApp from here; wipe it locally.
        const fence = await this.fence(row);
        await this.store.authRows.wipe(fence);
        await this.store.messages.failUnsent(row.id, 'session_logged_out', 'The WhatsApp session was logged out before the message was sent');
        await this.store.sessions.setStatus(fence, { status: 'logged_out', lastError: 'logged out by the user' });
        await this.store.sessions.releaseLease(fence);
        return;
      }
    }
  }

  private linkOf(command: CommandRow, row: SessionRow): LinkRequest {
    const method = command.command === 'pairing_code' || command.payload.method === 'pairing_code' ? 'pairing_code' : row.link_method;
    if (method === 'pairing_code') {
      const phone = typeof command.payload.phone === 'string' ? command.payload.phone : row.pairing_phone;
      return { method: 'pairing_code', phone: phone ?? '' };
    }
    return { method: 'qr' };
  }

  private async lease(row: SessionRow): Promise<number> {
    const epoch = await this.store.sessions.acquireLease(row.id, this.config.connectorId, this.config.lease.ttlMs);
    if (epoch === null) throw new NotOurs();
    return epoch;
  }

  private async fence(row: SessionRow): Promise<Fence> {
    return { sessionId: row.id, owner: this.config.connectorId, epoch: await this.lease(row) };
  }
}
