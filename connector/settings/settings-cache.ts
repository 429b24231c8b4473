// The connector's view of every user's messaging settings: loaded on first use, kept in memory, refreshed
// by refresh() (the sweep timer and the Realtime doorbell call it) with one "changed since" read, so a
// change applies to the next send without a restart. Consumers call forUser() (async, loads on a miss) or
// peek() (sync, cached only).
import type { Logger } from 'pino';
import type { SettingsRow, SettingsStore } from '../store/index.ts';
import { defaultSettings, effectiveSettings, type EffectiveSettings, type SettingsDefaults } from './effective.ts';

/** Re-read window behind the last read (see SettingsStore.changedSince). */
const OVERLAP_MS = 60_000;

export type SettingsListener = (userId: string, settings: EffectiveSettings, previous: EffectiveSettings | undefined) => void;

export class SettingsCache {
  private readonly byUser = new Map<string, EffectiveSettings>();
  private readonly loading = new Map<string, Promise<EffectiveSettings>>();
  private readonly listeners: SettingsListener[] = [];
  private lastReadAt: Date | null = null;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  readonly defaults: EffectiveSettings;

  constructor(
    private readonly store: SettingsStore,
    private readonly settingsDefaults: SettingsDefaults,
    private readonly logger: Logger,
  ) {
    this.defaults = defaultSettings(settingsDefaults);
  }

  /** Called after a user's settings changed (not on the first load). */
  onChange(listener: SettingsListener): void {
    this.listeners.push(listener);
  }

  /** Cached settings, or undefined when this user's were never loaded. */
  peek(userId: string): EffectiveSettings | undefined {
    return this.byUser.get(userId);
  }

  /** The user's settings (loaded once, then refreshed by refresh()). A failed load gives the defaults, not cached. */
  async forUser(userId: string): Promise<EffectiveSettings> {
    const cached = this.byUser.get(userId);
    if (cached) return cached;
    let pending = this.loading.get(userId);
    if (!pending) {
      pending = this.load([userId]).then(() => this.byUser.get(userId) ?? this.defaults)
        .catch((err) => {
          this.logger.warn({ err, user: userId }, 'loading messaging settings failed; using the defaults for now');
          return this.defaults;
        })
        .finally(() => this.loading.delete(userId));
      this.loading.set(userId, pending);
    }
    return pending;
  }

  /** Loads (or reloads) these users' settings in one read. */
  async load(userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    // A refresh that starts after this read must not miss a change committed during it.
    if (this.lastReadAt === null) this.lastReadAt = new Date(Date.now() - OVERLAP_MS);
    const rows = await this.store.forUsers(userIds);
    const found = new Map(rows.map((r) => [r.user_id, r]));
    for (const id of userIds) this.apply(id, found.get(id) ?? null, false);
  }

  /** Applies what changed since the previous refresh to the cached users; one query, safe to call often. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const { rows, readAt } = await this.store.changedSince(this.lastReadAt, OVERLAP_MS);
        for (const row of rows) if (this.byUser.has(row.user_id)) this.apply(row.user_id, row, true);
        this.lastReadAt = readAt;
      } while (this.refreshAgain);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Forgets a user nobody holds a session for any more. */
  forget(userId: string): void {
    this.byUser.delete(userId);
  }

  private apply(userId: string, row: SettingsRow | null, notify: boolean): void {
    const next = effectiveSettings(this.settingsDefaults, row);
    const previous = this.byUser.get(userId);
    this.byUser.set(userId, next);
    if (!notify || (previous && sameSettings(previous, next))) return;
    for (const listener of this.listeners) {
      try {
        listener(userId, next, previous);
      } catch (err) {
        this.logger.warn({ err, user: userId }, 'settings listener failed');
      }
    }
  }
}

function sameSettings(a: EffectiveSettings, b: EffectiveSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
