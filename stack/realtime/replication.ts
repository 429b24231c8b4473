// One logical replication stream per server: the built-in `pgoutput` plugin on the `supabase_realtime`
// publication, through a TEMPORARY slot (created on the streaming connection itself, so Postgres drops it
// when the connection ends: a crashed server never leaks a slot or blocks `drop database`).
// When the stream breaks (Postgres restart), it reconnects with back-off and a fresh slot; changes
// committed during the gap are not delivered, as with Supabase.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Client, Pool } from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { ChangeDecoder, type Change, type RelationInfo, type Transaction } from './changes.ts';

export type { Change, ChangeType, RelationInfo, Transaction } from './changes.ts';
import type { TypeCatalog } from './decode.ts';
import type { Logger } from './logger.ts';


const identity = (text: unknown) => text;
export const MESSAGES_PUBLICATION = 'supabase_realtime_messages_publication';

/** pgoutput's parser runs each value through a pg type parser; we want the raw text and decode it ourselves. */
class TemporarySlotPlugin extends PgoutputPlugin {
  constructor(publications: string[], private readonly slot: string) {
    super({ protoVersion: 1, publicationNames: publications });
  }

  override async start(client: Client, slotName: string): Promise<unknown> {
    await client.query(`CREATE_REPLICATION_SLOT "${this.slot}" TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')`);
    return super.start(client, slotName, '0/00000000');
  }
}

export interface ReplicationStreamOptions {
  databaseUrl: string;
  pool: Pool;
  types: TypeCatalog;
  logger: Logger;
  publication?: string;
}

export class ReplicationStream extends EventEmitter<{ transaction: [Transaction]; ready: []; down: []; closed: [] }> {
  private service: LogicalReplicationService | null = null;
  private generation = 0;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private queue: Pgoutput.Message[] = [];
  private draining = false;
  private relations = new Map<number, RelationInfo>();
  private pending: Change[] | null = null;
  private pendingXid = 0;
  private receivedLsn = '';
  private slot: string | null = null;
  private readonly decoder: ChangeDecoder;
  ready = false;

  constructor(private readonly options: ReplicationStreamOptions) {
    super();
    this.setMaxListeners(0); // every join waiting for the stream adds a listener
    this.decoder = new ChangeDecoder(options.types);
  }

  /** Starts streaming; rejects if the first attempt fails (later breaks are retried forever). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Resolves when the stream is running (immediately if it is). */
  waitReady(): Promise<void> {
    if (this.ready || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.off('ready', done);
        this.off('closed', done);
        resolve();
      };
      this.on('ready', done);
      this.on('closed', done);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.generation++;
    const service = this.service;
    this.service = null;
    this.ready = false;
    this.emit('closed'); // releases waiters
    await service?.destroy().catch(() => {});
    await this.waitSlotReleased();
  }

  /**
   * The walsender drops the temporary slot when it exits, a moment after our connection ends. Until then
   * `drop database` fails ("used by an active logical replication slot"), so close() waits for it (≤ 3 s).
   */
  private async waitSlotReleased(): Promise<void> {
    if (!this.slot) return;
    for (let i = 0; i < 150; i++) {
      const { rowCount } = await this.options.pool
        .query('select 1 from pg_replication_slots where slot_name = $1', [this.slot])
        .catch(() => ({ rowCount: 0 }));
      if (!rowCount) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const { logger } = this.options;
    const slot = `realtime_${process.pid}_${randomBytes(4).toString('hex')}`;
    this.slot = slot;
    await this.options.types.load();
    const publications = await this.publications();
    if (this.closed || generation !== this.generation) return;
    const service = new LogicalReplicationService(
      { connectionString: this.options.databaseUrl, options: '-c TimeZone=UTC -c DateStyle=ISO', keepAlive: true },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    this.service = service;
    this.queue = [];
    this.pending = null;
    this.relations.clear();
    service.on('error', (error: Error) => logger.debug({ err: error }, 'realtime: replication connection error'));
    service.on('heartbeat', (lsn: string, _time: number, shouldRespond: boolean) => {
      this.receivedLsn = lsn;
      if (shouldRespond) this.confirm(service, lsn);
    });
    service.on('data', (_lsn: string, message: Pgoutput.Message) => {
      if (generation !== this.generation) return;
      if (message.tag === 'relation') for (const column of message.columns) column.parser = identity;
      this.queue.push(message);
      if (!this.draining) void this.drain(generation);
    });
    const started = new Promise<void>((resolve) => service.once('start', () => resolve()));
    const finished = service.subscribe(new TemporarySlotPlugin(publications, slot), slot);
    const outcome = finished.then(
      () => new Error('replication stream ended'),
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    const first = await Promise.race([started.then(() => null), outcome]);
    if (first) {
      await service.destroy().catch(() => {});
      throw first;
    }
    if (this.closed || generation !== this.generation) {
      await service.destroy().catch(() => {}); // closed while connecting
      return;
    }
    this.attempt = 0;
    this.ready = true;
    this.startConfirming(service, generation);
    logger.info({ slot }, 'realtime: replication stream started');
    this.emit('ready');
    void outcome.then((error) => {
      if (this.closed || generation !== this.generation) return;
      logger.warn({ err: error }, 'realtime: replication stream broke; reconnecting');
      this.markDown();
    });
  }

  /**
   * The project's publication, plus Realtime's own publication of `realtime.messages` when the database has it
   * (Broadcast from Database: realtime.send / realtime.broadcast_changes).
   */
  private async publications(): Promise<string[]> {
    const primary = this.options.publication ?? 'supabase_realtime';
    const { rowCount } = await this.options.pool.query('select 1 from pg_publication where pubname = $1', [MESSAGES_PUBLICATION]);
    return rowCount ? [primary, MESSAGES_PUBLICATION] : [primary];
  }

  /**
   * Standby status updates with exactly the received position. (The library's acknowledge() reports lsn + 1,
   * and a walsender stopping for a fast shutdown waits until the reported position equals what it sent: with
   * + 1 it never does, and Postgres' shutdown hangs until wal_sender_timeout.)
   */
  private confirm(service: LogicalReplicationService, lsn: string): void {
    void service.acknowledge(previousLsn(lsn)).catch(() => {});
  }

  private startConfirming(service: LogicalReplicationService, generation: number): void {
    let confirmed = '';
    const timer = setInterval(() => {
      if (generation !== this.generation || this.closed) return clearInterval(timer);
      if (this.receivedLsn && this.receivedLsn !== confirmed) {
        confirmed = this.receivedLsn;
        this.confirm(service, confirmed);
      }
    }, 1_000);
    timer.unref();
  }

  private markDown(): void {
    const service = this.service;
    this.service = null;
    this.generation++;
    if (this.ready) {
      this.ready = false;
      this.emit('down');
    }
    void service?.destroy().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const base = Math.min(2_000, 100 * 2 ** this.attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closed) return;
      this.connect().catch((error: unknown) => {
        this.options.logger.debug({ err: error }, 'realtime: replication reconnect failed');
        this.scheduleReconnect();
      });
    }, delay);
  }

  private async drain(generation: number): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && generation === this.generation) {
        const message = this.queue.shift()!;
        if (message.tag === 'relation') await this.loadRelation(message);
        else this.handle(message);
      }
    } catch (error) {
      if (generation === this.generation && !this.closed) {
        this.options.logger.warn({ err: error }, 'realtime: failed to process the replication stream; restarting it');
        this.markDown();
      }
    } finally {
      this.draining = false;
      // A new stream may have queued messages while this (older) drain was still awaiting.
      if (this.queue.length > 0 && generation !== this.generation && !this.closed) void this.drain(this.generation);
    }
  }

  private async loadRelation(message: Pgoutput.MessageRelation): Promise<void> {
    const { types, pool } = this.options;
    if (message.columns.some((column) => !types.has(column.typeOid))) await types.load();
    const { rows } = await pool.query<{ rls: boolean; pk: string[] | null }>(
      `select c.relrowsecurity as rls,
              (select array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum))
                 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                where i.indrelid = c.oid and i.indisprimary) as pk
         from pg_class c where c.oid = $1`,
      [message.relationOid],
    );
    const columns = message.columns.map((column) => ({
      name: column.name, typeOid: column.typeOid, type: types.name(column.typeOid),
    }));
    this.relations.set(message.relationOid, {
      oid: message.relationOid,
      schema: message.schema,
      table: message.name,
      columns,
      columnTypes: new Map(columns.map((column) => [column.name, column.type])),
      primaryKey: rows[0]?.pk ?? [],
      rls: rows[0]?.rls ?? false,
    });
  }

  private handle(message: Pgoutput.Message): void {
    switch (message.tag) {
      case 'begin':
        this.pending = [];
        this.pendingXid = message.xid;
        return;
      case 'insert': case 'update': case 'delete': {
        const change = this.decoder.toChange(this.relations, message);
        if (change) (this.pending ??= []).push(change);
        return;
      }
      case 'commit': {
        const changes = this.pending;
        this.pending = null;
        if (message.commitEndLsn) this.receivedLsn = message.commitEndLsn;
        if (changes && changes.length > 0) {
          const commitTimestamp = new Date(Number((message.commitTime as bigint) / 1000n)).toISOString();
          this.emit('transaction', { xid: this.pendingXid, commitTimestamp, changes });
        }
        return;
      }
      default:
        return; // truncate, origin, type, message: not part of postgres_changes
    }
  }
}

function previousLsn(lsn: string): string {
  const [high = '0', low = '0'] = lsn.split('/');
  const value = (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
  const previous = value > 0n ? value - 1n : 0n;
  return `${(previous >> 32n).toString(16).toUpperCase()}/${(previous & 0xffffffffn).toString(16).toUpperCase()}`;
}
