// Starts test/bench/support/sim-host.ts in its own process and talks to its HTTP API.
import { BufferJSON, type AuthenticationCreds } from '@whiskeysockets/baileys';
import type { FaultKind, FaultOptions, KeyPair, LinkEvent } from '../../sim/index.ts';
import { spawnReady, stopChild, type NodeChild } from './processes.ts';

export interface SimInfo { url: string; rootPublicKeyBase64: string; rootKeyBase64: string; controlUrl: string; pid: number }
export interface Provisioned { phone: string; jid: string; lid: string; creds: AuthenticationCreds; preKeys: Record<string, KeyPair> }
/** count: copies of this id that arrived; idsForText: distinct ids the same text arrived under at that recipient */
export interface Stamp { id: string; frameNs: string | null; recordNs: string | null; count: number; idsForText: number }
/** a link event with the CLOCK_MONOTONIC time the simulator logged it (ns, as a decimal string) */
export type StampedLinkEvent = LinkEvent & { ns: string };
export interface ReceivedSummary { received: number; distinct: number; duplicates: number; duplicateIds: string[]; idList?: string[] }

export class SimHost {
  private constructor(readonly proc: NodeChild, readonly info: SimInfo) {}

  static async start(env: Record<string, string> = {}): Promise<SimHost> {
    const { proc, ready } = await spawnReady<SimInfo>('test/bench/support/sim-host.ts', { env, quiet: true });
    return new SimHost(proc, ready);
  }

  get url() { return this.info.url; }
  get pid() { return this.info.pid; }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.info.controlUrl}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sim ${path}: ${res.status} ${text}`);
    return JSON.parse(text, BufferJSON.reviver) as T;
  }

  /** Links devices without a QR (real signatures); returns Baileys creds and the pre-keys the server holds. */
  async provision(phones: string[], opts: { preKeyCount?: number; pushName?: string } = {}): Promise<Provisioned[]> {
    const out: Provisioned[] = [];
    for (let i = 0; i < phones.length; i += 100) {
      out.push(...(await this.call<Provisioned[]>('POST', '/provision', { phones: phones.slice(i, i + 100), ...opts })));
    }
    return out;
  }
  contacts(phones: string[], receipts: 'none' | 'delivered' | 'read') { return this.call('POST', '/contacts', { phones, receipts }); }
  sendFromContacts(items: { from: string; to: string; text: string }[]) { return this.call<{ ids: string[] }>('POST', '/send', { items }); }
  /** a contact sends an encrypted MP4 of `size` bytes generated in the simulator process */
  sendMedia(from: string, to: string, size: number) { return this.call<{ id: string; sha256: string }>('POST', '/send-media', { from, to, size }); }
  receivedMedia(phone: string, id: string) { return this.call<{ size: number; sha256: string | null; error: string | null } | null>('POST', '/received-media', { phone, id }); }
  media() { return this.call<{ caPem: string; stats: { uploads: number; downloads: number } }>('GET', '/media'); }
  stamps(ids: string[]) { return this.call<Stamp[]>('POST', '/stamps', { ids }); }
  received(withIds = false) { return this.call<ReceivedSummary>('GET', `/received${withIds ? '?ids=1' : ''}`); }
  resetStamps() { return this.call('POST', '/reset-stamps', {}); }
  devices() { return this.call<{ total: number; connected: number; loggedOut: number }>('GET', '/devices'); }
  stats() { return this.call<{ recorded: number; stanzasIn: number; connections: number; replacedConflicts: number; cpuMs: number; rssMb: number }>('GET', '/stats'); }
  fault(target: string, kind: FaultKind, opts?: FaultOptions) { return this.call('POST', '/fault', { target, kind, opts }); }
  clearFaults(target: string) { return this.call('POST', '/clear-faults', { target }); }
  dropAll() { return this.call<{ dropped: number }>('POST', '/drop-all', {}); }
  dropEvery(everyMs: number, forMs: number) { return this.call('POST', '/drop-every', { everyMs, forMs }); }

  /** the phone scans a QR: the device it linked, or the code of the refusal (SimScanError) */
  scan(qr: string, phone: string, pushName?: string) {
    return this.call<{ linked?: { jid: string }; refused?: string }>('POST', '/scan', { qr, phone, pushName });
  }
  requirePasskey(phone: string) { return this.call('POST', '/require-passkey', { phone }); }
  /** link events of `kind` logged after the first `after`; `logged` counts all so far (pass it as the next `after`) */
  linkEvents(kind?: LinkEvent['kind'], after = 0) {
    return this.call<{ logged: number; events: StampedLinkEvent[] }>('POST', '/link-events', { kind, after });
  }

  stop() { return stopChild(this.proc, 5000); }
}

/** Distinct phone numbers for a run (E.164, +1 555 …), unique per prefix. */
export function phones(prefix: number, count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => `+1${String(prefix).padStart(3, '0')}${String(offset + i).padStart(7, '0')}`);
}
