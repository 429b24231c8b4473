/**
 * Runs a simulator in its own process: `npx tsx test/sim/cli.ts`.
 * Env: WA_SIM_PORT (default 0), WA_SIM_ROOT_KEY (base64 key pair from a previous run's rootKeyBase64; default: new),
 *      WA_SIM_CONTROL_PORT (default 0), WA_SIM_STATE_FILE (keep accounts and linked devices in this file across
 *      restarts, with the root key: persistence.ts; `npm run demo` sets it inside its data folder).
 * Prints one JSON line: { url, rootPublicKeyBase64, rootKeyBase64, controlUrl, mediaCaBase64 } (mediaCaBase64: the
 * media host's CA, PEM in base64, for WA_SIM_MEDIA_CA). Point Baileys at `url` and call
 * useSimulatorCertificate(rootPublicKeyBase64) in that process (e.g. via WA_SIM_URL / WA_SIM_ROOT_PUBLIC_KEY).
 */
import { z } from 'zod'
import { startControlServer } from './control.ts'
import { keepState, readState, restore } from './persistence.ts'
import { startSimulator } from './server.ts'

const env = Object.freeze(
  z
    .object({
      WA_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(0),
      WA_SIM_ROOT_KEY: z.string().min(1).optional(),
      WA_SIM_CONTROL_PORT: z.coerce.number().int().min(0).max(65535).default(0),
      WA_SIM_STATE_FILE: z.string().min(1).optional(),
    })
    .parse(process.env),
)

const saved = env.WA_SIM_STATE_FILE ? await readState(env.WA_SIM_STATE_FILE) : undefined
// WhatsApp as it behaves today: every behaviour of behaviours.ts on (the connector handles them, issue 12)
const sim = await startSimulator({ port: env.WA_SIM_PORT, rootKey: env.WA_SIM_ROOT_KEY ?? saved?.rootKeyBase64 })
if (saved) restore(sim.registry, saved)
const kept = env.WA_SIM_STATE_FILE ? await keepState(sim.registry, sim.rootKeyBase64, env.WA_SIM_STATE_FILE) : undefined
const control = await startControlServer(sim, env.WA_SIM_CONTROL_PORT)
process.stdout.write(
  JSON.stringify({ url: sim.url, rootPublicKeyBase64: sim.rootPublicKeyBase64, rootKeyBase64: sim.rootKeyBase64, controlUrl: control.url, mediaCaBase64: sim.env().WA_SIM_MEDIA_CA }) + '\n',
)
const stop = async () => {
  control.server.close()
  await sim.stop()
  await kept?.stop()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())
