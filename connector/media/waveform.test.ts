// The voice-note waveform from a real Ogg Opus file (test/support/fixtures/voice-note.ogg, made with opusenc from
// 4 s of 440 Hz: 1 s silence, 1 s loud, 1 s at a quarter of that, 1 s silence), streamed as the connector reads it
// from Storage; a damaged file gets no waveform rather than a wrong one.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mediaFixtures } from '../../test/support/media-fixtures.ts';
import { voiceNoteFacts, WAVEFORM_BARS } from './waveform.ts';

const note = new URL('../../test/support/fixtures/voice-note.ogg', import.meta.url);
const open = async () => createReadStream(note);
const quarter = (w: Uint8Array, q: number) => Array.from(w.subarray(q * 16 + 1, q * 16 + 15)); // away from the edges

function expectShape(waveform: Uint8Array | null) {
  expect(waveform).toHaveLength(WAVEFORM_BARS);
  const w = waveform!;
  expect(Math.max(...w)).toBe(100);
  expect(Math.max(...quarter(w, 0))).toBeLessThanOrEqual(2);
  expect(Math.min(...quarter(w, 1))).toBeGreaterThanOrEqual(85);
  for (const bar of quarter(w, 2)) expect(bar).toBeGreaterThanOrEqual(15), expect(bar).toBeLessThanOrEqual(35);
  expect(Math.max(...quarter(w, 3))).toBeLessThanOrEqual(2);
}

describe('voiceNoteFacts', () => {
  it('reads the length from the container and the loudness of each of the 64 bars from the decoded audio', async () => {
    const facts = await voiceNoteFacts(open);
    expect(facts).toMatchObject({ seconds: 4 });
    expectShape(facts!.waveform);
    expect(facts!.decodedSeconds).toBeGreaterThan(3.9);
  });

  it('decodes no more than its budget, spread over the bars, and the shape holds', async () => {
    const facts = await voiceNoteFacts(open, 3);
    expect(facts!.seconds).toBe(4);
    expect(facts!.decodedSeconds).toBeGreaterThan(2);
    expect(facts!.decodedSeconds).toBeLessThanOrEqual(3);
    expectShape(facts!.waveform);
  });

  it('gives the length but no waveform for packets that are not Opus audio, and nothing for a file that is not Ogg', async () => {
    const filler = await voiceNoteFacts(async () => Readable.from([mediaFixtures.ogg(2048, 4)]));
    expect(filler).toMatchObject({ seconds: 4, waveform: null });
    expect(await voiceNoteFacts(async () => Readable.from([mediaFixtures.mp3()]))).toBeNull();
    expect(await voiceNoteFacts(async () => null)).toBeNull();
  });
});
