// A voice note's length and waveform as WhatsApp shows them on the phone (AudioMessage.seconds and .waveform:
// 64 bars of 0-100). rc14 computes the waveform with `audio-decode`, which reads the whole file into memory and
// decodes all of it (Utils/messages-media.js getAudioWaveform); it is not installed here, so rc14 sends none.
// Here the Ogg Opus object is streamed twice and never held whole: the first pass only parses the container
// (codec-parser) for the length (the last page's granule position, as music-metadata reads it) and the frame
// count; the second decodes (opus-decoder, wasm, at 8 kHz: enough for loudness) at most DECODE_SECONDS of audio,
// spread over the 64 bars: a note up to that length is decoded whole, a longer one as a window at the start
// of each bar.
import type { Readable } from 'node:stream';
import CodecParser, { type OggPage, type OpusHeader } from 'codec-parser';
import { OpusDecoder } from 'opus-decoder';

export const WAVEFORM_BARS = 64;
/** the most audio one note's waveform decodes, in seconds, however long the note is */
export const DECODE_SECONDS = 120;
/** a voice note larger than this is not read for its waveform (WhatsApp's audio limit is 16 MB) */
export const MAX_READ_BYTES = 16 * 1024 * 1024;
const OPUS_RATE = 48_000; // granule positions and frame lengths count 48 kHz samples (RFC 7845)

export interface VoiceNoteFacts {
  seconds: number;
  /** null when the audio could not be decoded (the length can still be known from the container) */
  waveform: Uint8Array | null;
  /** how much of the audio was decoded for the waveform, in seconds (at most the budget) */
  decodedSeconds: number;
}

export type OpenAudio = () => Promise<Readable | null>;


async function* oggPages(body: Readable): AsyncGenerator<OggPage> {
  const parser = new CodecParser<OggPage>('audio/ogg');
  let read = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read > MAX_READ_BYTES) throw new Error(`more than ${MAX_READ_BYTES} bytes`);
      yield* parser.parseChunk(chunk) as Generator<OggPage>;
    }
    yield* parser.flush() as Generator<OggPage>;
  } finally {
    body.destroy();
  }
}

interface Layout { header: OpusHeader; frames: number; samples: number; seconds: number }

/** First pass: the container only, nothing decoded. */
async function readLayout(body: Readable): Promise<Layout | null> {
  let header: OpusHeader | null = null;
  let frames = 0;
  let samples = 0;
  let granule = 0;
  for await (const page of oggPages(body)) {
    if (page.absoluteGranulePosition > granule) granule = page.absoluteGranulePosition;
    for (const frame of page.codecFrames) {
      header ??= frame.header as OpusHeader;
      frames += 1;
      samples += frame.samples;
    }
  }
  if (!header || frames === 0) return null;
  const seconds = Math.max(0, (Number(granule) - header.preSkip) / OPUS_RATE);
  return { header, frames, samples, seconds };
}

/** frames decoded after a jump only to settle the decoder (its state is from before the gap); not measured */
const WARM_UP_FRAMES = 2;

type Step = 'skip' | 'warm-up' | 'measure';

/** What the second pass does with each frame: decode all of them, or a window at the start of each bar. */
function decodePlan(layout: Layout, budgetSamples: number): (frameIndex: number) => Step {
  const perFrame = layout.samples / layout.frames;
  const budgetFrames = Math.floor(budgetSamples / perFrame);
  if (layout.frames <= budgetFrames) return () => 'measure';
  const run = Math.max(WARM_UP_FRAMES + 1, Math.floor(budgetFrames / WAVEFORM_BARS));
  const barFrames = layout.frames / WAVEFORM_BARS;
  return (i) => {
    const offset = i - Math.ceil(Math.floor(i / barFrames) * barFrames); // from the first frame of i's bar
    return offset >= run ? 'skip' : offset < WARM_UP_FRAMES && i >= WARM_UP_FRAMES ? 'warm-up' : 'measure';
  };
}

/** Second pass: mean loudness per bar, scaled so the loudest bar is 100 (rc14's scaling). */
async function readWaveform(body: Readable, layout: Layout, budgetSamples: number): Promise<{ waveform: Uint8Array; decoded: number } | null> {
  const { header } = layout;
  const decoder = new OpusDecoder({
    sampleRate: 8000, channels: header.channels, streamCount: header.streamCount,
    coupledStreamCount: header.coupledStreamCount, channelMappingTable: header.channelMappingTable,
  });
  await decoder.ready;
  const sums = new Float64Array(WAVEFORM_BARS);
  const counts = new Float64Array(WAVEFORM_BARS);
  const plan = decodePlan(layout, budgetSamples);
  let index = 0;
  let decoded = 0;
  try {
    for await (const page of oggPages(body)) {
      for (const frame of page.codecFrames) {
        const bar = Math.min(WAVEFORM_BARS - 1, Math.floor((index * WAVEFORM_BARS) / layout.frames));
        const step = plan(index);
        index += 1;
        if (step === 'skip' || decoded + frame.samples > budgetSamples) continue;
        const out = decoder.decodeFrame(frame.data);
        if (out.errors.length > 0) return null; // a damaged note gets no waveform rather than a wrong one
        decoded += frame.samples;
        if (step === 'warm-up') continue;
        const pcm = out.channelData[0]!;
        let sum = 0;
        for (let s = 0; s < out.samplesDecoded; s++) sum += Math.abs(pcm[s]!);
        sums[bar] = sums[bar]! + sum;
        counts[bar] = counts[bar]! + out.samplesDecoded;
      }
    }
  } finally {
    decoder.free();
  }
  if (counts.every((c) => c === 0)) return null;
  const means = Array.from(sums, (sum, i) => (counts[i] ? sum / counts[i]! : 0));
  const loudest = Math.max(...means);
  const waveform = Uint8Array.from(means, (m) => (loudest > 0 ? Math.floor((100 * m) / loudest) : 0));
  return { waveform, decoded };
}

/**
 * The length and waveform of the Ogg Opus voice note `open()` streams (called twice), or null when it is not an
 * Ogg Opus file this can read (Baileys then reads the length itself and the note goes without a waveform).
 * `decodeSeconds`: the decode budget (tests pass a small one to see it spread over the bars).
 */
export async function voiceNoteFacts(open: OpenAudio, decodeSeconds = DECODE_SECONDS): Promise<VoiceNoteFacts | null> {
  try {
    const first = await open();
    const layout = first && await readLayout(first);
    if (!layout) return null;
    const second = await open();
    const wave = second ? await readWaveform(second, layout, decodeSeconds * OPUS_RATE).catch(() => null) : null;
    return { seconds: Math.round(layout.seconds), waveform: wave?.waveform ?? null, decodedSeconds: (wave?.decoded ?? 0) / OPUS_RATE };
  } catch {
    return null; // not Ogg Opus, damaged, or larger than MAX_READ_BYTES
  }
}
