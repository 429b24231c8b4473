// Media: one large file (16 MB video, as in issue 14) each way through the connector process, against the
// floor (stock Baileys alone, own process, same file, same run: floor/media-client.ts).
//   inbound:  a contact sends it encrypted → the connector downloads, decrypts, checks and streams it into
//             Storage (whatsapp-media) → media_state stored. Throughput = bytes / (send → stored).
//   outbound: the user's object in Storage → a queued video row → the connector streams it from Storage,
//             Baileys encrypts and uploads it → the contact decrypted the same bytes. Throughput = bytes /
//             (insert → the contact has it).
// Memory shows the file is streamed, never whole in memory: during each transfer the connector is sampled
// every 250 ms after a full GC (SIGUSR2, support/gc-preload.mjs) for live memory = heapUsed + arrayBuffers
// (Buffers live outside the V8 heap) above the idle value before (goal: at most 2 MB, issue 14); and its peak
// RSS (VmHWM, reset through /proc/<pid>/clear_refs just before) above its RSS before.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure, ResultRow } from '../harness.ts';
import { sleep, waitUntil } from '../harness.ts';
import { countConnected, seedLinkedSessions, startBenchStack, startConnectorProcess, stopConnector, type ConnectorProcess, type Database } from '../support/environment.ts';
import { spawnReady } from '../support/processes.ts';
import { phones, SimHost } from '../support/sim-client.ts';
import { mediaFixtures } from '../../support/media-fixtures.ts';

const preload = fileURLToPath(new URL('../support/gc-preload.mjs', import.meta.url));
const MiB = 2 ** 20;

const statusKb = async (pid: number, field: 'VmHWM' | 'VmRSS') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

/** Live memory (MB) of the connector after a full GC. */
async function liveMb(proc: ConnectorProcess, memFile: string): Promise<number> {
  await rm(memFile, { force: true });
  process.kill(proc.pid, 'SIGUSR2');
  const mem = await waitUntil(async () => readFile(memFile, 'utf8').then((t) => JSON.parse(t) as { heapUsed: number; arrayBuffers: number }, () => undefined), 10_000, 'memory report', 10);
  return (mem.heapUsed + mem.arrayBuffers) / MiB;
}

/** Runs `transfer` while sampling the connector: live-memory growth (max) and peak-RSS growth, in MB. */
async function measured(proc: ConnectorProcess, memFile: string, transfer: () => Promise<void>) {
  const before = Math.min(await liveMb(proc, memFile), await liveMb(proc, memFile));
  await writeFile(`/proc/${proc.pid}/clear_refs`, '5');
  const rssBefore = await statusKb(proc.pid, 'VmRSS');
  let max = before;
  let running = true;
  const sampling = (async () => {
    while (running) {
      max = Math.max(max, await liveMb(proc, memFile));
      await sleep(250);
    }
  })();
  const t0 = performance.now();
  try {
    await transfer();
  } finally {
    running = false;
    await sampling;
  }
  const ms = performance.now() - t0;
  return { ms, liveGrowthMb: max - before, peakRssGrowthMb: (await statusKb(proc.pid, 'VmHWM') - rssBefore) / 1024, liveBeforeMb: before };
}

async function floorRun(env: Record<string, string>): Promise<{ ms: number; bytes: number; liveGrowthMb: number; peakRssGrowthMb: number }> {
  const { proc, ready } = await spawnReady<{ ms: number; bytes: number; liveGrowthMb: number; peakRssGrowthMb: number }>(
    'test/bench/floor/media-client.ts', { env, nodeArgs: ['--expose-gc'], quiet: true, timeoutMs: 180_000 });
  await proc.exited;
  return ready;
}

async function uploadObject(db: Database, path: string, data: Buffer): Promise<void> {
  const stack = db.stack!;
  const res = await fetch(`${stack.url}/storage/v1/object/whatsapp-media/${path}`, {
    method: 'POST', body: new Uint8Array(data),
    headers: { apikey: stack.secretKey, 'content-type': 'video/mp4' },
  });
  if (!res.ok) throw new Error(`upload ${path}: ${res.status} ${await res.text()}`);
}

export const media: Figure = {
  name: 'media',
  async run(ctx) {
    const size = 16 * MiB;
    const sim = await SimHost.start();
    const db = await startBenchStack();
    const memFile = join(tmpdir(), `wl-bench-media-${randomBytes(4).toString('hex')}.json`);
    const file = join(tmpdir(), `wl-bench-media-${randomBytes(4).toString('hex')}.mp4`);
    let connector: ConnectorProcess | undefined;
    const loadBefore = loadavg()[0]!;
    try {
      const [mine, contact] = [phones(740, 1), phones(741, 1)];
      await sim.contacts(contact, 'read');
      const { caPem } = await sim.media();
      const [session] = await seedLinkedSessions(db, await sim.provision(mine), contact);
      connector = await startConnectorProcess({
        db, sim, nodeArgs: ['--expose-gc', '--import', preload],
        env: { BENCH_MEM_FILE: memFile, MEDIA: 'enabled', WA_SIM_MEDIA_CA: Buffer.from(caPem).toString('base64'), SWEEP_INTERVAL_MS: '500' },
      });
      await waitUntil(async () => (await countConnected(db, [session!.sessionId])) === 1, 120_000, 'the session connected', 200);
      await sleep(ctx.quick ? 2000 : 5000); // settle: pre-key upload, first sweeps

      // inbound
      let sent!: { id: string; sha256: string };
      const inbound = await measured(connector, memFile, async () => {
        sent = await sim.sendMedia(contact[0]!, mine[0]!, size);
        await waitUntil(async () => {
          const [row] = await db.sql`select media_state from inbound_messages where session_id = ${session!.sessionId} and wa_message_id = ${sent.id}`;
          if (row && row.media_state !== 'pending' && row.media_state !== 'stored') throw new Error(`inbound media ended ${row.media_state}`);
          return row?.media_state === 'stored';
        }, 180_000, 'the inbound video stored', 50);
      });
      const [stored] = await db.sql`select media_path, media_source from inbound_messages where wa_message_id = ${sent.id}`;
      ctx.log(`media: inbound ${size / MiB} MB stored in ${inbound.ms.toFixed(0)} ms, live +${inbound.liveGrowthMb.toFixed(2)} MB, peak RSS +${inbound.peakRssGrowthMb.toFixed(1)} MB`);
      const src = stored!.media_source as { url: string; directPath: string; mediaKey: string };
      const inboundFloor = await floorRun({ FLOOR_MEDIA: 'download', FLOOR_SOURCE: JSON.stringify(src), FLOOR_CA: Buffer.from(caPem).toString('base64') });

      // outbound: the same kind of file, uploaded by the user
      const data = mediaFixtures.mp4(size);
      await writeFile(file, data);
      const path = `${session!.userId}/outbox/bench.mp4`;
      await uploadObject(db, path, data);
      let waId = '';
      const outbound = await measured(connector, memFile, async () => {
        const [row] = await db.sql`insert into outbound_messages (session_id, user_id, recipient, content_type, media_path)
          values (${session!.sessionId}, ${session!.userId}, ${contact[0]!}, 'video', ${path}) returning id, wa_message_id`;
        waId = row!.wa_message_id as string;
        await waitUntil(async () => {
          const [r] = await db.sql`select status, error from outbound_messages where id = ${row!.id}`;
          if (r?.status === 'failed') throw new Error(`outbound media failed: ${r.error}`);
          return (await sim.receivedMedia(contact[0]!, waId)) ?? undefined;
        }, 180_000, 'the contact to have the video', 50);
      });
      const got = await sim.receivedMedia(contact[0]!, waId);
      const sameBytes = got?.sha256 === createHash('sha256').update(data).digest('hex');
      if (!sameBytes) throw new Error(`the contact decrypted other bytes: ${JSON.stringify(got)}`);
      ctx.log(`media: outbound ${size / MiB} MB delivered in ${outbound.ms.toFixed(0)} ms, live +${outbound.liveGrowthMb.toFixed(2)} MB, peak RSS +${outbound.peakRssGrowthMb.toFixed(1)} MB`);
      const outboundFloor = await floorRun({
        FLOOR_MEDIA: 'send', FLOOR_FILE: file, FLOOR_SIM: sim.info.controlUrl, FLOOR_WS: sim.url, FLOOR_ROOT_PUBLIC_KEY: sim.info.rootPublicKeyBase64,
        FLOOR_CA: Buffer.from(caPem).toString('base64'), FLOOR_TO: contact[0]!,
      });

      const mbps = (ms: number) => size / MiB / (ms / 1000);
      const rows: ResultRow[] = [
        { figure: 'media: inbound 16 MB video, send -> stored in Storage', value: mbps(inbound.ms), unit: 'MB/s', goal: null, floor: mbps(inboundFloor.ms),
          note: `${inbound.ms.toFixed(0)} ms (load average ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores); floor = stock Baileys downloadContentFromMessage of the same file to a null sink (${inboundFloor.ms.toFixed(0)} ms, own process)` },
        { figure: 'media: inbound 16 MB, connector live memory growth (GC\'d heap + buffers)', value: inbound.liveGrowthMb, unit: 'MB', goal: { op: '<=', value: 2 }, floor: inboundFloor.liveGrowthMb,
          note: `idle live ${inbound.liveBeforeMb.toFixed(1)} MB before; sampled every 250 ms after a full GC` },
        { figure: 'media: inbound 16 MB, connector peak RSS growth', value: inbound.peakRssGrowthMb, unit: 'MB', goal: null, floor: inboundFloor.peakRssGrowthMb,
          note: 'VmHWM above RSS before the transfer; it follows the allocation rate (64 KB chunks the young generation has not collected yet), as the floor shows: live memory is the measure of what is held' },
        { figure: 'media: outbound 16 MB video, insert -> contact decrypted it', value: mbps(outbound.ms), unit: 'MB/s', goal: null, floor: mbps(outboundFloor.ms),
          note: `${outbound.ms.toFixed(0)} ms, same bytes; floor = a stock Baileys socket sending the same file, until the contact decrypted it (${outboundFloor.ms.toFixed(0)} ms, own process)` },
        { figure: 'media: outbound 16 MB, connector live memory growth (GC\'d heap + buffers)', value: outbound.liveGrowthMb, unit: 'MB', goal: { op: '<=', value: 2 }, floor: outboundFloor.liveGrowthMb },
        { figure: 'media: outbound 16 MB, connector peak RSS growth', value: outbound.peakRssGrowthMb, unit: 'MB', goal: null, floor: outboundFloor.peakRssGrowthMb },
      ];
      return { rows, details: { size, load: { before: loadBefore, after: loadavg()[0] }, inbound, inboundFloor, outbound, outboundFloor, simMedia: (await sim.media()).stats } };
    } finally {
      if (connector) await stopConnector(connector);
      await db.stop();
      await sim.stop();
      await rm(memFile, { force: true });
      await rm(file, { force: true });
    }
  },
};
