const WA_HEADER = Buffer.from([0x57, 0x41, 6, 3])

/**
 * Splits the client's byte stream into frames. The first bytes are the intro header
 * ("WA",6,3 — optionally preceded by "ED",0,1,len24,routingInfo); then every frame is a 3-byte BE length + payload.
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0)
  private sawIntro = false
  routingInfo: Buffer | undefined

  push(data: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data])
    const frames: Buffer[] = []
    if (!this.sawIntro) {
      if (this.buffer.length < 4) return frames
      let offset = 0
      if (this.buffer[0] === 0x45 && this.buffer[1] === 0x44) {
        if (this.buffer.length < 7) return frames
        const len = (this.buffer[4]! << 16) | this.buffer.readUInt16BE(5)
        if (this.buffer.length < 7 + len + 4) return frames
        this.routingInfo = Buffer.from(this.buffer.subarray(7, 7 + len))
        offset = 7 + len
      }
      if (!this.buffer.subarray(offset, offset + 4).equals(WA_HEADER)) {
        throw new Error('bad intro header')
      }
      this.buffer = this.buffer.subarray(offset + 4)
      this.sawIntro = true
    }
    while (this.buffer.length >= 3) {
      const size = (this.buffer[0]! << 16) | (this.buffer[1]! << 8) | this.buffer[2]!
      if (this.buffer.length < size + 3) break
      frames.push(this.buffer.subarray(3, size + 3))
      this.buffer = this.buffer.subarray(size + 3)
    }
    return frames
  }
}

export function encodeFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 3)
  out[0] = (payload.length >>> 16) & 0xff
  out[1] = (payload.length >>> 8) & 0xff
  out[2] = payload.length & 0xff
  out.set(payload, 3)
  return out
}

/** The prologue hashed into the handshake is always the plain WA header (the ED prefix is routing only). */
export const NOISE_PROLOGUE = WA_HEADER
