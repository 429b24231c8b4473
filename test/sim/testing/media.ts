// Simulator-mode trust for the media host: an undici dispatcher for Baileys' downloads (rc14 getHttpStream calls
// fetch with `options.dispatcher`). Uploads use the https.Agent that connectClient passes as `fetchAgent`.
import { Agent } from 'undici'

export function simMediaDispatcher(sim: { mediaCaPem: string }): Agent {
  return new Agent({ connect: { ca: sim.mediaCaPem } })
}
