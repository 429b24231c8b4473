// Which WA Web version the connector announces (issue 12 §2.3), against a real HTTP server standing in for
// WhatsApp's service worker: the fetched version, the pinned fallback when WhatsApp cannot be reached (offline),
// the WA_VERSION override, a fresh fetch after a 405, and the log line that says which one was used.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchWaWebVersion, PINNED_WA_VERSION, WaVersionSource, type WaVersionConfig } from './wa-version.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A sw.js host: answers with `body()` (status 200) and counts the requests. */
async function swHost(body: () => string, status = 200): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(status, { 'content-type': 'application/javascript' });
    res.end(body());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sw.js`, requests: () => requests };
}

/** A URL nothing listens on: a port that was just free (connection refused, as offline is). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}/sw.js`;
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c))), done()) }));
  return { logger, lines };
}

const config = (url: string, override: WaVersionConfig['override'] = null): WaVersionConfig => ({ override, url, fetchTimeoutMs: 5_000 });
// the shape WhatsApp's sw.js carries it in (rc14 Utils/generics.js fetchLatestWaWebVersion reads the same)
const sw = (revision: number) => `self.__swData=JSON.parse(/*BTDS*/"{\\"client_revision\\":${revision},\\"other\\":1}");`;

describe('fetchWaWebVersion', () => {
  it('reads client_revision from the service worker as [2, 3000, revision]', async () => {
    const host = await swHost(() => sw(1046120035));
    await expect(fetchWaWebVersion(host.url, 5_000)).resolves.toEqual([2, 3000, 1046120035]);
  });

  it('throws on an error status or a body without client_revision', async () => {
    const failing = await swHost(() => 'nope', 503);
    await expect(fetchWaWebVersion(failing.url, 5_000)).rejects.toThrow(/503/);
    const empty = await swHost(() => 'self.__swData={}');
    await expect(fetchWaWebVersion(empty.url, 5_000)).rejects.toThrow(/no client_revision/);
  });
});

describe('WaVersionSource', () => {
  it('offline: falls back to the version pinned in Baileys and logs that it did', async () => {
    const { logger, lines } = capture();
    const choice = await new WaVersionSource(config(await deadUrl()), logger).get();
    expect(choice).toMatchObject({ version: PINNED_WA_VERSION, source: 'pinned' });
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, source: 'pinned', waVersion: PINNED_WA_VERSION.join('.') }));
  });

  it('online: announces the fetched version, logs it, and asks once for all its sessions', async () => {
    const host = await swHost(() => sw(1046120035));
    const { logger, lines } = capture();
    const source = new WaVersionSource(config(host.url), logger);
    const [a, b] = await Promise.all([source.get(), source.get()]);
    expect(a).toMatchObject({ version: [2, 3000, 1046120035], source: 'fetched' });
    expect(b).toEqual(a);
    expect(host.requests()).toBe(1);
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, source: 'fetched', waVersion: '2.3000.1046120035' }));
  });

  it('after a 405: asks WhatsApp again once, however many sessions were refused together', async () => {
    let revision = 1046120035;
    const host = await swHost(() => sw(revision));
    const source = new WaVersionSource(config(host.url), capture().logger);
    // the refused sockets asked for their version after it was chosen (a login takes more than a millisecond)
    const refusedSince = (await source.get()).at;
    while (Date.now() <= refusedSince) await new Promise((r) => setImmediate(r));
    revision++;
    const [a, b] = await Promise.all([source.refresh(refusedSince), source.refresh(refusedSince)]);
    expect(a.version).toEqual([2, 3000, 1046120036]);
    expect(b).toEqual(a);
    expect(host.requests()).toBe(2);
  });

  it('WA_VERSION: the override is announced without asking WhatsApp, also after a 405', async () => {
    const host = await swHost(() => sw(1046120035));
    const { logger, lines } = capture();
    const source = new WaVersionSource(config(host.url, [2, 3000, 1043857760]), logger);
    expect(await source.get()).toMatchObject({ version: [2, 3000, 1043857760], source: 'override' });
    expect(await source.refresh(0)).toMatchObject({ version: [2, 3000, 1043857760], source: 'override' });
    expect(host.requests()).toBe(0);
    expect(lines).toContainEqual(expect.objectContaining({ source: 'override', waVersion: '2.3000.1043857760' }));
  });
});
