// Fans decoded WAL changes out to subscribed channels, in memory.
// Every change goes through one ordered queue: while a check batch is in flight, new changes accumulate
// and are checked together in the next one, so under load the cost is one round trip per batch, not per
// change or per subscriber. service_role subscribers (bypassrls) skip the RLS probe, but they too get a
// change only once its transaction is visible to other sessions: the WAL hands us a commit a moment before
// that, and a subscriber that reads on the event (the connector's doorbell claims the new command) would
// otherwise find nothing and wait for its next timer.
import type { PgBinding } from './bindings.ts';
import { matchesFilters } from './filters.ts';
import type { Logger } from './logger.ts';
import type { ColumnPrivileges, Selectable } from './privileges.ts';
import type { Change, Transaction } from './replication.ts';
import { rowKey, type RlsChecker, type VisibilityRequest } from './rls.ts';

export interface Subscriber {
  role: string;
  claimsJson: string;
  bindings: PgBinding[];
  isOpen(): boolean;
  sendChange(ids: number[], dataJson: string): void;
}

interface Target {
  subscriber: Subscriber;
  ids: number[];
  /** The bindings' `select` (one message per distinct selection, as Realtime fans out); null: every column. */
  select: string[] | null;
}

interface QueuedChange {
  change: Change;
  xid: number;
  commitTimestamp: string;
  dataJson: string;
  targets: Target[];
  /** Serialisations limited to the columns a role may select, by role. */
  variants?: Map<string, string>;
}

const MAX_BATCH = 2_000;

export class Dispatcher {
  private readonly index = new Map<string, Set<Subscriber>>();
  private queue: QueuedChange[] = [];
  private checking = false;

  constructor(
    private readonly rls: RlsChecker,
    private readonly privileges: ColumnPrivileges,
    private readonly logger: Logger,
    /** Rows inserted into realtime.messages (Broadcast from Database). */
    private readonly onMessage: (record: Record<string, unknown>) => void = () => {},
  ) {}

  add(subscriber: Subscriber): void {
    for (const binding of subscriber.bindings) {
      const key = indexKey(binding.schema, binding.table);
      let set = this.index.get(key);
      if (!set) this.index.set(key, (set = new Set()));
      set.add(subscriber);
    }
  }

  remove(subscriber: Subscriber): void {
    for (const binding of subscriber.bindings) {
      const key = indexKey(binding.schema, binding.table);
      const set = this.index.get(key);
      set?.delete(subscriber);
      if (set?.size === 0) this.index.delete(key);
    }
  }

  dispatch(transaction: Transaction): void {
    for (const change of transaction.changes) {
      if (change.type === 'INSERT' && change.relation.schema === 'realtime' && change.relation.table === 'messages' && change.record) {
        this.onMessage(change.record);
      }
      const targets = this.match(change);
      if (targets.length === 0) continue;
      if (change.type !== 'DELETE' && change.relation.primaryKey.length === 0) {
        // Realtime cannot re-check a row it cannot address, and says so to every subscriber.
        const error = errorOnly(change, ERROR_NO_PRIMARY_KEY);
        for (const target of targets) target.subscriber.sendChange(target.ids, error);
        continue;
      }
      const dataJson = serializeChange(change, transaction.commitTimestamp);
      this.queue.push({ change, xid: transaction.xid, commitTimestamp: transaction.commitTimestamp, dataJson, targets });
    }
    if (this.queue.length > 0 && !this.checking) void this.drain();
  }

  private match(change: Change): Target[] {
    const { schema, table } = change.relation;
    const candidates = new Set<Subscriber>();
    for (const key of [indexKey(schema, table), indexKey(schema, '*'), indexKey('*', table), indexKey('*', '*')]) {
      const set = this.index.get(key);
      if (set) for (const subscriber of set) candidates.add(subscriber);
    }
    const targets: Target[] = [];
    const filterRecord = change.type === 'DELETE' ? change.oldRecord : change.record;
    for (const subscriber of candidates) {
      const bySelection = new Map<string, Target>();
      for (const binding of subscriber.bindings) {
        if (binding.event !== '*' && binding.event !== change.type) continue;
        if (binding.schema !== '*' && binding.schema !== schema) continue;
        if (binding.table !== '*' && binding.table !== table) continue;
        if (!matchesFilters(binding.filters, filterRecord, change.relation.columnTypes)) continue;
        const selection = JSON.stringify(binding.select);
        let target = bySelection.get(selection);
        if (!target) bySelection.set(selection, (target = { subscriber, ids: [], select: binding.select }));
        if (!target.ids.includes(binding.id)) target.ids.push(binding.id);
      }
      targets.push(...bySelection.values());
    }
    return targets;
  }

  private async drain(): Promise<void> {
    this.checking = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.loadPrivileges(batch);
        const visible = await this.checkBatch(batch);
        for (const item of batch) {
          const key = item.change.keyText ? rowKey(item.change.relation.oid, item.change.keyText) : null;
          for (const target of item.targets) {
            if (!target.subscriber.isOpen()) continue;
            if (isTrusted(target.subscriber)) {
              target.subscriber.sendChange(target.ids, this.dataFor(item, target.subscriber.role, target.select));
              continue;
            }
            if (item.change.type !== 'DELETE' && !this.canSelectKey(target.subscriber.role, item.change)) {
              target.subscriber.sendChange(target.ids, errorOnly(item.change, ERROR_UNAUTHORIZED));
              continue;
            }
            // DELETEs are not RLS-checked (the row is gone), as in Supabase.
            const allowed = item.change.type === 'DELETE' || (key !== null && visible.get(target.subscriber.claimsJson)?.has(key));
            if (allowed) target.subscriber.sendChange(target.ids, this.dataFor(item, target.subscriber.role, target.select));
          }
        }
      }
    } catch (error) {
      this.logger.error({ err: error }, 'realtime: dispatch failed');
    } finally {
      this.checking = false;
    }
  }

  private async loadPrivileges(batch: QueuedChange[]): Promise<void> {
    const pairs = new Map<string, [string, Change['relation']]>();
    for (const { change, targets } of batch) {
      for (const { subscriber } of targets) if (!isTrusted(subscriber)) pairs.set(`${subscriber.role}\u0000${change.relation.oid}`, [subscriber.role, change.relation]);
    }
    try {
      await this.privileges.load(pairs.values());
    } catch (error) {
      this.logger.warn({ err: error }, 'realtime: could not load column privileges');
    }
  }

  /** A role that may not select the primary key gets Realtime's 401 (and its rows are never probed). */
  private canSelectKey(role: string, change: Change): boolean {
    const selectable = this.privileges.get(role, change.relation);
    if (selectable === null || selectable === undefined) return true; // unknown: the probe itself decides
    return change.relation.primaryKey.every((name) => selectable.has(name));
  }

  private dataFor(item: QueuedChange, role: string, select: string[] | null): string {
    const { relation } = item.change;
    // Unknown privileges (lookup failed) fall back to the primary key only, never to every column.
    const known = isTrusted({ role }) ? null : this.privileges.get(role, relation);
    const selectable = known === undefined ? new Set(relation.primaryKey) : known;
    if (selectable === null && select === null) return item.dataJson;
    // A selection keeps the primary key too, as apply_rls does.
    const wanted = select === null ? null : new Set([...select, ...relation.primaryKey]);
    const visible = wanted === null ? selectable! : new Set([...wanted].filter((name) => selectable === null || selectable.has(name)));
    item.variants ??= new Map();
    const key = `${role}\u0000${JSON.stringify(select)}`;
    let json = item.variants.get(key);
    if (json === undefined) {
      json = serializeChange(item.change, item.commitTimestamp, visible);
      item.variants.set(key, json);
    }
    return json;
  }

  /** claimsJson -> visible row keys, for every claims group that has INSERT/UPDATE changes in the batch. */
  private async checkBatch(batch: QueuedChange[]): Promise<Map<string, Set<string>>> {
    const groups = new Map<string, VisibilityRequest>();
    for (const { change, targets } of batch) {
      if (change.type === 'DELETE' || !change.keyText) continue;
      for (const { subscriber } of targets) {
        if (isTrusted(subscriber) || !subscriber.isOpen() || !this.canSelectKey(subscriber.role, change)) continue;
        let group = groups.get(subscriber.claimsJson);
        if (!group) {
          group = { role: subscriber.role, claimsJson: subscriber.claimsJson, tables: new Map() };
          groups.set(subscriber.claimsJson, group);
        }
        let table = group.tables.get(change.relation.oid);
        if (!table) group.tables.set(change.relation.oid, (table = { relation: change.relation, keys: new Map() }));
        table.keys.set(JSON.stringify(change.keyText), change.keyText);
      }
    }
    const requests = [...groups.values()];
    const xids = [...new Set(batch.map((item) => item.xid))];
    if (requests.length === 0) {
      await this.rls.waitUntilVisible(xids);
      return new Map();
    }
    const results = await this.rls.check(requests, xids);
    return new Map(requests.map((request, i) => [request.claimsJson, results[i]!]));
  }
}

/** bypassrls: no probe, no column limits. */
function isTrusted(subscriber: Pick<Subscriber, 'role'>): boolean {
  return subscriber.role === 'service_role';
}

function indexKey(schema: string, table: string): string {
  return `${schema}\u0000${table}`;
}

const MAX_RECORD_BYTES = 1024 * 1024;
const ERROR_TOO_LARGE = 'Error 413: Payload Too Large';
const ERROR_UNAUTHORIZED = 'Error 401: Unauthorized';
const ERROR_NO_PRIMARY_KEY = 'Error 400: Bad Request, no primary key';

/** What Realtime sends instead of the change when it cannot deliver it: no record, just the error. */
function errorOnly(change: Change, error: string): string {
  return JSON.stringify({ schema: change.relation.schema, table: change.relation.table, type: change.type, errors: [error] });
}

/**
 * The `data` of a postgres_changes message, serialised once and shared by all recipients whose role may
 * select every column. Records over 1 MB keep only small values and carry Realtime's 413 error.
 */
function serializeChange(change: Change, commitTimestamp: string, selectable: Selectable = null): string {
  const { relation } = change;
  const visible = (name: string) => selectable === null || selectable.has(name);
  const tooLarge = JSON.stringify(change.record ?? {}).length + JSON.stringify(change.oldRecord ?? {}).length > MAX_RECORD_BYTES;
  const project = (record: Record<string, unknown> | null) => {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(record ?? {})) {
      if (!visible(name)) continue;
      if (tooLarge && JSON.stringify(value).length > 64) continue;
      out[name] = value;
    }
    return out;
  };
  const data: Record<string, unknown> = {
    schema: relation.schema,
    table: relation.table,
    commit_timestamp: commitTimestamp,
    type: change.type,
    columns: relation.columns.filter(({ name }) => visible(name)).map(({ name, type }) => ({ name, type })),
  };
  if (change.type !== 'DELETE') data.record = project(change.record);
  if (change.type !== 'INSERT') data.old_record = project(change.oldRecord);
  data.errors = tooLarge ? [ERROR_TOO_LARGE] : null;
  return JSON.stringify(data);
}
