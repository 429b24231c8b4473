// Small media files whose first bytes are what real files start with, so MIME sniffing (file-type) recognises
// them: a real 1x1 PNG and JPEG, and MP4 / Ogg-Opus / MP3 / PDF / WebP headers followed by filler up to `size`.
import { randomBytes } from 'node:crypto'

const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

const JPEG_1x1 = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////' +
  '2wBDAf//////////////////////////////////////////////////////////////////////////////////////wAARCAABAAEDASIAAhEBAxEB/8QAFAAB' +
  'AAAAAAAAAAAAAAAAAAAAA//EABQQAQAAAAAAAAAAAAAAAAAAAAD/xAAUAQEAAAAAAAAAAAAAAAAAAAAA/8QAFBEBAAAAAAAAAAAAAAAAAAAAAP/aAAwDAQACEQMR' +
  'AD8AKp//2Q==', 'base64')

const fill = (head: Buffer, size: number): Buffer =>
  size <= head.length ? head : Buffer.concat([head, randomBytes(size - head.length)])

function box(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(8 + body.length)
  return Buffer.concat([len, Buffer.from(type, 'latin1'), body])
}

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b }
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b }

/** One Ogg page (RFC 3533) with one packet of at most 254 bytes; the CRC is left 0 (no reader here checks it). */
function oggPage(flags: number, granule: bigint, sequence: number, packet: Buffer): Buffer {
  const header = Buffer.alloc(27)
  header.write('OggS', 0, 'latin1')
  header[5] = flags
  header.writeBigInt64LE(granule, 6)
  header.writeUInt32LE(0x5741, 14) // stream serial
  header.writeUInt32LE(sequence, 18)
  header[26] = 1
  return Buffer.concat([header, Buffer.from([packet.length]), packet])
}

export const mediaFixtures = {
  png: (): Buffer => Buffer.from(PNG_1x1),
  jpeg: (): Buffer => Buffer.from(JPEG_1x1),
  /** ISO BMFF with an `ftyp` box of brand isom, then an `mdat` box of filler */
  mp4: (size = 4096): Buffer => {
    const ftyp = box('ftyp', Buffer.concat([Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41', 'latin1')]))
    const mdatHeader = Buffer.alloc(8)
    mdatHeader.writeUInt32BE(Math.max(8, size - ftyp.length))
    mdatHeader.write('mdat', 4, 'latin1')
    return fill(Buffer.concat([ftyp, mdatHeader]), size)
  },
  /**
   * Ogg Opus as a voice note is laid out (RFC 7845): an OpusHead page, an OpusTags page, then audio pages whose
   * granule positions count 48 kHz samples, the last one flagged end-of-stream at `seconds` (plus the pre-skip), so
   * a reader of the container (music-metadata, which Baileys uses for `seconds`) finds the duration. The audio
   * packets are filler up to about `size` bytes that no Opus decoder accepts: each starts with a code-3 TOC byte
   * and a frame count of 0, which RFC 6716 section 3.2.5 forbids (random bytes alone often decode as Opus).
   */
  ogg: (size = 2048, seconds = 4): Buffer => {
    const preSkip = 312
    const opusHead = Buffer.concat([Buffer.from('OpusHead', 'latin1'), Buffer.from([1, 1]), u16(preSkip), Buffer.from([0x80, 0xbb, 0, 0, 0, 0, 0])])
    const opusTags = Buffer.concat([Buffer.from('OpusTags', 'latin1'), u32(4), Buffer.from('test', 'latin1'), u32(0)])
    const pages = [oggPage(0x02, 0n, 0, opusHead), oggPage(0, 0n, 1, opusTags)]
    const packet = Math.max(1, Math.min(250, Math.floor((size - 100) / seconds) - 28))
    for (let s = 1; s <= seconds; s++) {
      pages.push(oggPage(s === seconds ? 0x04 : 0, BigInt(preSkip + 48_000 * s), 1 + s, Buffer.concat([Buffer.from([0x03, 0x00]), randomBytes(Math.max(0, packet - 2))])))
    }
    return Buffer.concat(pages)
  },
  /** ID3v2 tag header, then an MPEG-1 layer III frame header */
  mp3: (size = 2048): Buffer => fill(Buffer.concat([Buffer.from('ID3', 'latin1'), Buffer.from([4, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xfb, 0x90, 0x64])]), size),
  pdf: (size = 1024): Buffer => {
    const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n', 'latin1')
    return Buffer.concat([fill(head, Math.max(head.length, size - 6)), Buffer.from('\n%%EOF', 'latin1')])
  },
  /** RIFF/WEBP with a VP8 chunk header */
  webp: (size = 512): Buffer => {
    const body = fill(Buffer.concat([Buffer.from('WEBPVP8 ', 'latin1'), Buffer.alloc(4)]), size - 8)
    const riff = Buffer.alloc(8)
    riff.write('RIFF', 0, 'latin1')
    riff.writeUInt32LE(body.length, 4)
    return Buffer.concat([riff, body])
  },
  /** a Windows PE executable header (MZ … PE\0\0): what a .exe renamed to .pdf starts with */
  exe: (size = 1024): Buffer => {
    const b = Buffer.alloc(Math.max(size, 256))
    b.write('MZ', 0, 'latin1')
    b.writeUInt32LE(0x80, 0x3c)
    b.write('PE\0\0', 0x80, 'latin1')
    b.writeUInt16LE(0x14c, 0x84)
    return b
  },
  /** a Linux ELF executable header (\x7fELF, 64-bit, little-endian, x86-64 executable) */
  elf: (size = 1024): Buffer => {
    const b = Buffer.alloc(Math.max(size, 64))
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(b, 0)
    b.writeUInt16LE(2, 16) // ET_EXEC
    b.writeUInt16LE(0x3e, 18) // x86-64
    b.writeUInt32LE(1, 20)
    return b
  },
}
