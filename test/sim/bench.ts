/**
 * Simulator benchmark (a script, not a test): `npx tsx test/sim/bench.ts`.
 * The simulator runs in its own process (cli.ts), Baileys in this one, so each side's CPU is measured separately.
 * Prints connect→QR ms, QR→open ms (scan, 515, reconnect, 812 pre-keys uploaded) and messages/s through one
 * linked device (Baileys sends 1:1 texts; the simulator decrypts the DSM copy and the contact copy and records them).
 * Env: BENCH_MESSAGES (default 3000), BENCH_IN_FLIGHT (default 64), BENCH_JSON=1 for one JSON line only.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { BufferJSON, type AuthenticationCreds } from '@whiskeysockets/baileys'
import { connectClient } from './testing/baileys-client.ts'
import { memoryAuthState } from './testing/memory-auth-state.ts'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000)
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64)

const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []), '--import', 'tsx', fileURLToPath(new URL('./cli.ts', import.meta.url))], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const info = await new Promise<{ url: string; rootPublicKeyBase64: string; controlUrl: string }>((resolve, reject) => {
  createInterface({ input: child.stdout! }).once('line', line => resolve(JSON.parse(line)))
  child.once('exit', code => reject(new Error(`simulator exited with ${code}`)))
})

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(info.controlUrl + path, { method, body: body ? JSON.stringify(body) : undefined })
  const text = await res.text()
  if (!res.ok) throw new Error(`${path}: ${text}`)
  return JSON.parse(text, BufferJSON.reviver) as T
}
const stats = () => call<{ recorded: number; cpuUserMs: number; cpuSystemMs: number; mainThreadActiveMs: number }>('GET', '/stats')

// 1. linking: connect → QR, QR → scan → 515 → reconnect → open
const linkAuth = memoryAuthState()
let t0 = performance.now()
const first = connectClient(info, linkAuth)
const qr = await first.nextQr()
const connectToQrMs = performance.now() - t0
t0 = performance.now()
await call('POST', '/scan', { qr, phone: '+15559990001', pushName: 'Bench' })
await first.closed()
const second = connectClient(info, linkAuth)
await second.opened()
const qrToOpenMs = performance.now() - t0
second.end()

// 2. throughput through one provisioned device
const prov = await call<{ creds: AuthenticationCreds; preKeys: Record<string, unknown> }>('POST', '/provision', {
  phone: '+15559990002',
  pushName: 'Bench2',
})
const contact = '+15559990003'
await call('POST', '/contact', { phone: contact, receipts: 'none' })
const auth = memoryAuthState(prov.creds, prov.preKeys)
t0 = performance.now()
const client = connectClient(info, auth)
await client.opened()
const provisionedOpenMs = performance.now() - t0
const jid = '15559990003@s.whatsapp.net'
for (let i = 0; i < 3; i++) await client.sock.sendMessage(jid, { text: `warm ${i}` })

let acked = 0
client.sock.ws.on('CB:ack,class:message', () => acked++)
const before = await stats()
const start = performance.now()
const clientCpu0 = process.cpuUsage()
let sent = 0
await new Promise<void>((resolve, reject) => {
  const pump = () => {
    while (sent < MESSAGES && sent - acked < IN_FLIGHT) {
      sent++
      client.sock.sendMessage(jid, { text: `bench message ${sent}` }).catch(reject)
    }
    if (sent >= MESSAGES) resolve()
    else setTimeout(pump, 1)
  }
  pump()
})
const target = before.recorded + MESSAGES * 2 // the phone's DSM copy + the contact's copy
let after = await stats()
while (after.recorded < target) {
  await new Promise(r => setTimeout(r, 20))
  after = await stats()
}
const seconds = (performance.now() - start) / 1000
const clientCpu = process.cpuUsage(clientCpu0)
const simCpuMs = after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs
const simActiveMs = after.mainThreadActiveMs - before.mainThreadActiveMs
const result = {
  connectToQrMs: Math.round(connectToQrMs),
  qrToOpenMs: Math.round(qrToOpenMs),
  provisionedLoginToOpenMs: Math.round(provisionedOpenMs),
  messages: MESSAGES,
  messagesPerSecond: Math.round(MESSAGES / seconds),
  simulatorCpuMsPerMessage: +(simCpuMs / MESSAGES).toFixed(3),
  simulatorMainThreadMsPerMessage: +(simActiveMs / MESSAGES).toFixed(3),
  simulatorCapacityMessagesPerSecondOneCore: Math.round(1000 / (simCpuMs / MESSAGES)),
  clientCpuMsPerMessage: +((clientCpu.user + clientCpu.system) / 1000 / MESSAGES).toFixed(3),
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(result))
else {
  console.log(`connect → QR            ${result.connectToQrMs} ms`)
  console.log(`QR → open (scan, 515, reconnect, pre-key upload)  ${result.qrToOpenMs} ms`)
  console.log(`provisioned creds → open ${result.provisionedLoginToOpenMs} ms`)
  console.log(`messages/s (Baileys → simulator, decrypted + recorded)  ${result.messagesPerSecond}  (${MESSAGES} messages)`)
  console.log(`simulator CPU per message  ${result.simulatorCpuMsPerMessage} ms (process, all threads) → one core ≈ ${result.simulatorCapacityMessagesPerSecondOneCore} msg/s`)
  console.log(`simulator event loop busy per message  ${result.simulatorMainThreadMsPerMessage} ms (includes time waiting for a CPU on a loaded box)`)
  console.log(`Baileys CPU per message    ${result.clientCpuMsPerMessage} ms`)
}
client.end()
child.kill('SIGTERM')
process.exit(0)
