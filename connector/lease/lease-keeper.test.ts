// The heartbeat's decision to close every socket. Fakes on purpose: a heartbeat timer firing seconds late
// (a starved event loop) and a renewal that never answers cannot be produced on demand with real parts;
// fake timers make both exact. The end-to-end stall test (connector-ownership) covers the real database.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectorConfig } from '../config.ts';
import type { Store } from '../store/index.ts';
import type { SessionManager } from '../whatsapp/session-manager.ts';
import { LeaseKeeper } from './lease-keeper.ts';

const TTL = 30_000;

function setUp(renewAll: () => Promise<Map<string, number>>) {
  const conn = { sessionId: 's1', fence: { epoch: 1 }, startedAt: Date.now() - 1, leaseLost: vi.fn() };
  const manager = { size: 1, all: () => [conn], get: (id: string) => (id === 's1' ? conn : undefined) } as unknown as SessionManager;
  const store = {
    sessions: { renewAll: vi.fn(renewAll), releaseLease: vi.fn(async () => true), endedElsewhere: vi.fn(async () => []) },
  } as unknown as Store;
  const keeper = new LeaseKeeper({ lease: { ttlMs: TTL } } as ConnectorConfig, store, manager, pino({ level: 'silent' }));
  return { keeper, conn, store };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('lease keeper', () => {
  it('renews, and keeps the sockets, when its timer fires late after a successful renewal (a starved event loop)', async () => {
    const { keeper, conn, store } = setUp(async () => new Map([['s1', 1]]));
    keeper.start();
    await vi.advanceTimersByTimeAsync(TTL / 3); // first beat: renewed
    vi.setSystemTime(Date.now() + 12_000); // the process was frozen: the next tick is 12 s late
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(conn.leaseLost).not.toHaveBeenCalled();
    expect(store.sessions.renewAll).toHaveBeenCalledTimes(2);
    keeper.stop();
  });

  it('closes every socket when a renewal has been pending for half a TTL (the database hangs)', async () => {
    const { keeper, conn } = setUp(() => new Promise(() => {}));
    keeper.start();
    await vi.advanceTimersByTimeAsync(TTL / 3 * 2);
    expect(conn.leaseLost).toHaveBeenCalled();
    keeper.stop();
  });

  it('closes every socket when renewals fail for half a TTL (the database is unreachable)', async () => {
    const { keeper, conn } = setUp(async () => {
      throw new Error('connection refused');
    });
    keeper.start();
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(conn.leaseLost).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(conn.leaseLost).toHaveBeenCalled();
    keeper.stop();
  });
});
