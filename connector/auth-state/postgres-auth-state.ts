// Baileys AuthenticationState on Postgres: creds and every Signal key kind in whatsapp_auth_state,
// sealed with the envelope (AES-256-GCM when a key is configured), serialized with BufferJSON.
// Reads go through a bounded LRU shared by all sessions (absent keys are cached too: this connector is
// the only writer while it holds the lease). Each keys.set() is one fenced transaction.
import { BufferJSON, initAuthCreds, proto } from '@whiskeysockets/baileys';
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys';
import type { AuthRowStore, AuthRowWrite, Fence } from '../store/index.ts';
import { authStateAad as aadOf, type Envelope } from './envelope.ts';
import { Lru } from './lru.ts';

export const CREDS_KIND = 'creds';

export interface AuthStateDeps {
  rows: AuthRowStore;
  envelope: Envelope;
  cache: Lru<unknown>;
}

export interface PostgresAuthState {
  state: AuthenticationState;
  /** true when creds existed in the database (a resume, not a new link) */
  hadCredentials: boolean;
  saveCreds(): Promise<void>;
  /** Drops this session's cached keys (on close). */
  forget(): void;
  /**
   * Takes no more writes and waits for those in flight: called before the credentials are wiped, so a key
   * or creds write Baileys makes as its socket goes down cannot land after the wipe.
   */
  close(): Promise<void>;
}

export function encodeValue(envelope: Envelope, sessionId: string, kind: string, keyId: string, value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value, BufferJSON.replacer), 'utf8');
  return envelope.seal(json, aadOf(sessionId, kind, keyId));
}

export function decodeValue(envelope: Envelope, sessionId: string, kind: string, keyId: string, sealed: Buffer): unknown {
  const json = envelope.open(sealed, aadOf(sessionId, kind, keyId)).toString('utf8');
  const value = JSON.parse(json, BufferJSON.reviver);
  if (kind === 'app-state-sync-key' && value) return proto.Message.AppStateSyncKeyData.fromObject(value);
  return value;
}

export async function usePostgresAuthState(fence: Fence, deps: AuthStateDeps): Promise<PostgresAuthState> {
  const { rows, envelope, cache } = deps;
  const sessionId = fence.sessionId;
  const cacheKey = (kind: string, id: string) => `${sessionId}\u0000${kind}\u0000${id}`;

  const stored = (await rows.read(sessionId, CREDS_KIND, [''])).get('');
  const creds: AuthenticationCreds = stored
    ? (decodeValue(envelope, sessionId, CREDS_KIND, '', stored) as AuthenticationCreds)
    : initAuthCreds();

  let credsWrites: Promise<void> = Promise.resolve();
  let closed = false;
  const keyWrites = new Set<Promise<unknown>>();
  // What the database holds, as JSON: Baileys emits creds.update on every login (me.lid, unchanged), and
  // a write of the same creds is a fenced round trip for nothing.
  let savedJson: string | null = stored ? JSON.stringify(creds, BufferJSON.replacer) : null;

  const keys = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const result: { [id: string]: SignalDataTypeMap[T] } = {};
      const missing: string[] = [];
      for (const id of ids) {
        const key = cacheKey(type, id);
        if (cache.has(key)) {
          const value = cache.get(key);
          if (value !== null && value !== undefined) result[id] = value as SignalDataTypeMap[T];
        } else {
          missing.push(id);
        }
      }
      if (missing.length) {
        const found = await rows.read(sessionId, type, missing);
        for (const id of missing) {
          const sealed = found.get(id);
          const value = sealed ? decodeValue(envelope, sessionId, type, id, sealed) : null;
          cache.set(cacheKey(type, id), value);
          if (value !== null) result[id] = value as SignalDataTypeMap[T];
        }
      }
      return result;
    },

    async set(data: SignalDataSet) {
      const writes: AuthRowWrite[] = [];
      for (const [kind, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          writes.push({ kind, keyId: id, value: value ? encodeValue(envelope, sessionId, kind, id, value) : null });
        }
      }
      if (closed) return;
      const write = rows.write(fence, writes);
      keyWrites.add(write);
      try {
        await write;
      } catch (error) {
        // The write did not happen: never let the cache claim it did.
        for (const w of writes) cache.delete(cacheKey(w.kind, w.keyId));
        throw error;
      } finally {
        keyWrites.delete(write);
      }
      for (const [kind, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) cache.set(cacheKey(kind, id), value ?? null);
      }
    },

    async clear() {
      await rows.wipe(fence);
      cache.deletePrefix(`${sessionId}\u0000`);
    },
  };

  return {
    state: { creds, keys },
    hadCredentials: Boolean(stored),
    saveCreds() {
      // Serialized per session so an older snapshot never overwrites a newer one; skipped when unchanged.
      const write = credsWrites.then(async () => {
        if (closed) return;
        const json = JSON.stringify(creds, BufferJSON.replacer);
        if (json === savedJson) return;
        const value = envelope.seal(Buffer.from(json, 'utf8'), aadOf(sessionId, CREDS_KIND, ''));
        await rows.write(fence, [{ kind: CREDS_KIND, keyId: '', value }]);
        savedJson = json;
      });
      credsWrites = write.catch(() => {});
      return write;
    },
    forget() {
      cache.deletePrefix(`${sessionId}\u0000`);
    },
    async close() {
      closed = true;
      await Promise.allSettled([credsWrites, ...keyWrites]);
    },
  };
}
