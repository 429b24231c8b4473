// How a person links a companion by QR against WhatsApp as it is today (behaviours.ts companionRegRefresh): scan the
// QR; the phone says the link must be tried again because the server asked the companion to refresh its
// registration; once the companion shows the re-rendered QR (same ref, new ADV secret) scan that one. `readQr`
// returns what the companion shows now (the session row's qr, the page's data-qr-value, Baileys' connection.update).
// With the refresh off the first scan links. Any other refusal is thrown as is.
import type { Simulator } from '../server.ts'
import { SimScanError } from '../scan-error.ts'
import type { ScanOptions } from '../handlers/pairing.ts'

export async function scanLikeAUser(
  sim: Simulator,
  readQr: () => Promise<string | null | undefined>,
  opts: ScanOptions,
  timeoutMs = 45_000,
): ReturnType<Simulator['scanQr']> {
  const until = Date.now() + timeoutMs
  const current = async (other?: string): Promise<string> => {
    for (;;) {
      const qr = await readQr()
      if (qr && qr !== other) return qr
      if (Date.now() > until) throw new Error(other ? 'the companion never showed a re-rendered QR after the refresh' : 'no QR shown')
      await new Promise(r => setTimeout(r, 50))
    }
  }
  const first = await current()
  try {
    return await sim.scanQr(first, opts)
  } catch (error) {
    if (!(error instanceof SimScanError) || error.code !== 'registration_refresh') throw error
  }
  return sim.scanQr(await current(first), opts)
}
