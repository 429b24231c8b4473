// Real, playable media files for the web app's media tests, made by Chromium itself: a JPEG photo drawn
// on a canvas, a 2 s Ogg Opus voice note (WebCodecs' Opus encoder, muxed by mediabunny) and a 1 s
// H.264 MP4. Not a test file itself. WebCodecs needs a secure context, hence the routed localhost page.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';

export interface MediaFiles {
  jpeg: Buffer;
  /** width × height of the JPEG */
  jpegSize: { width: number; height: number };
  voiceNote: Buffer;
  voiceNoteSeconds: number;
  mp4: Buffer;
}

// The browser bundle next to the CommonJS entry that Node resolves.
const mediabunnyPath = join(dirname(createRequire(import.meta.url).resolve('mediabunny')), 'mediabunny.min.mjs');
const ORIGIN = 'http://localhost:9';
// The bundle is loaded by the page itself (an import() inside page.evaluate would be rewritten by vitest).
const PAGE = '<!doctype html><title>media fixtures</title>' +
  '<script type="module">import * as Mediabunny from "/mediabunny.min.mjs"; window.Mediabunny = Mediabunny;</script>';

export async function makeMediaFiles(browser: Browser): Promise<MediaFiles> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const bundle = await readFile(mediabunnyPath);
    await page.route(`${ORIGIN}/**`, (route) => route.request().url().endsWith('.mjs')
      ? route.fulfill({ body: bundle, contentType: 'text/javascript' })
      : route.fulfill({ body: PAGE, contentType: 'text/html' }));
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => 'Mediabunny' in window);
    const made = await page.evaluate(async () => {
      const M = (window as unknown as { Mediabunny: typeof import('mediabunny') }).Mediabunny;
      const base64 = (bytes: Uint8Array) => {
        let binary = '';
        for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(binary);
      };

      const photo = new OffscreenCanvas(160, 120);
      const draw = photo.getContext('2d')!;
      draw.fillStyle = '#047857';
      draw.fillRect(0, 0, 160, 120);
      draw.fillStyle = '#fde047';
      draw.beginPath();
      draw.arc(80, 60, 40, 0, Math.PI * 2);
      draw.fill();
      const jpeg = new Uint8Array(await (await photo.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());

      const seconds = 2;
      const voice = new M.Output({ format: new M.OggOutputFormat(), target: new M.BufferTarget() });
      const audio = new M.AudioBufferSource({ codec: 'opus', bitrate: 32_000 });
      voice.addAudioTrack(audio);
      await voice.start();
      const tone = new OfflineAudioContext(1, 48_000 * seconds, 48_000);
      const oscillator = tone.createOscillator();
      oscillator.frequency.value = 440;
      oscillator.connect(tone.destination);
      oscillator.start();
      await audio.add(await tone.startRendering());
      audio.close();
      await voice.finalize();

      const film = new M.Output({ format: new M.Mp4OutputFormat(), target: new M.BufferTarget() });
      const frame = new OffscreenCanvas(64, 48);
      const paint = frame.getContext('2d')!;
      const video = new M.CanvasSource(frame, { codec: 'avc', bitrate: 200_000 });
      film.addVideoTrack(video);
      await film.start();
      for (let i = 0; i < 30; i++) {
        paint.fillStyle = `hsl(${i * 12}, 80%, 50%)`;
        paint.fillRect(0, 0, 64, 48);
        await video.add(i / 30, 1 / 30);
      }
      video.close();
      await film.finalize();

      return {
        jpeg: base64(jpeg),
        voiceNote: base64(new Uint8Array(voice.target.buffer!)),
        voiceNoteSeconds: seconds,
        mp4: base64(new Uint8Array(film.target.buffer!)),
      };
    });
    return {
      jpeg: Buffer.from(made.jpeg, 'base64'),
      jpegSize: { width: 160, height: 120 },
      voiceNote: Buffer.from(made.voiceNote, 'base64'),
      voiceNoteSeconds: made.voiceNoteSeconds,
      mp4: Buffer.from(made.mp4, 'base64'),
    };
  } finally {
    await context.close();
  }
}
