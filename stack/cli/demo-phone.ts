// `npm run demo:phone -- scan [+phone]` : the simulated phone scans the newest QR shown in the web app.
// `npm run demo:phone -- say "text" [+from]`: a simulated contact writes to the newest linked session.
// `npm run demo:phone -- inbox [+contact]`: what a simulated contact has received.
// Talks to the simulator started by `npm run demo` (its control URL is in .data/stack.env).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { repoRoot } from '../db/prepare.ts';

const DEMO_PHONE = '+34612345678';
const DEMO_CONTACT = '+14155552671';

async function readStackEnv(): Promise<Record<string, string>> {
  const dir = process.env.STACK_DATA_DIR ?? join(repoRoot, '.data');
  const text = await readFile(join(dir, 'stack.env'), 'utf8').catch(() => {
    throw new Error('no .data/stack.env: start the demo first with `npm run demo`');
  });
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => {
    const at = l.indexOf('=');
    return [l.slice(0, at), l.slice(at + 1)];
  }));
}

async function control(url: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const env = await readStackEnv();
  const controlUrl = env.WA_SIM_CONTROL_URL;
  if (!controlUrl || !env.DATABASE_URL) throw new Error('the stack was not started with `npm run demo` (no simulator)');
  const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    if (command === 'scan') {
      const [session] = await sql`select id, qr from whatsapp_sessions where status = 'qr' order by updated_at desc limit 1`;
      if (!session) throw new Error('no QR to scan: press "Connect WhatsApp" in the web app first');
      const phone = args[0] ?? DEMO_PHONE;
      const scan = (qr: string) => control(controlUrl, '/scan', { qr, phone, pushName: 'Demo phone' });
      const linked = await scan(session.qr).catch(async (error: Error) => {
        // WhatsApp today asks the companion to refresh its registration after the first scan (companion_reg_refresh):
        // like a person, wait for the re-rendered QR and scan that one.
        if (!error.message.includes('"registration_refresh"')) throw error;
        console.log('the phone asked for the QR to be refreshed; scanning the new one');
        for (let i = 0; i < 100; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const [row] = await sql`select qr from whatsapp_sessions where id = ${session.id}`;
          if (row?.qr && row.qr !== session.qr) return scan(row.qr);
        }
        throw new Error('the web app never showed a refreshed QR');
      });
      console.log('linked:', linked);
    } else if (command === 'say') {
      const [session] = await sql`
        select phone_number from whatsapp_sessions where status = 'connected' order by connected_at desc limit 1`;
      if (!session) throw new Error('no connected session: link one first with `npm run demo:phone -- scan`');
      const text = args[0] ?? 'Hello from the simulated contact';
      const from = args[1] ?? DEMO_CONTACT;
      console.log('sent:', await control(controlUrl, '/send', { from, to: session.phone_number, text }));
    } else if (command === 'inbox') {
      console.log(await control(controlUrl, `/received?phone=${encodeURIComponent(args[0] ?? DEMO_CONTACT)}`));
    } else {
      console.log('usage: npm run demo:phone -- scan [+phone] | say "text" [+from] | inbox [+contact]');
      process.exitCode = 2;
    }
  } finally {
    await sql.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
