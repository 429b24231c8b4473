// The preview of an outbound video (WAProto jpegThumbnail), drawn from its first frame in the browser as WhatsApp
// Web does: the connector has no ffmpeg to make one (rc14 needs the binary). Small (96 px wide JPEG, a few KB;
// the database takes at most 64 KiB). Null when the browser cannot decode the video: it is then sent without one.
const WIDTH = 96;
const QUALITY = 0.6;
const MAX_BYTES = 65_536;
const TIMEOUT_MS = 5_000;

function once(target: HTMLVideoElement, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    target.addEventListener(event, () => resolve(), { once: true });
    target.addEventListener('error', () => reject(new Error('the browser cannot decode this video')), { once: true });
  });
}

async function firstFrame(file: Blob): Promise<Blob | null> {
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  try {
    video.muted = true;
    video.playsInline = true;
    video.preload = 'auto';
    const loaded = once(video, 'loadeddata');
    video.src = url;
    await loaded;
    if (!video.videoWidth || !video.videoHeight) return null;
    // a frame just after the start: the very first is often black
    const seeked = once(video, 'seeked');
    video.currentTime = Math.min(0.1, (video.duration || 0) / 2);
    await seeked;
    const canvas = document.createElement('canvas');
    canvas.width = WIDTH;
    canvas.height = Math.max(1, Math.round((WIDTH * video.videoHeight) / video.videoWidth));
    canvas.getContext('2d')?.drawImage(video, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

/** The JPEG preview of `file` as a bytea literal for the Data API (`\x` + hex), or null. */
export async function videoThumbnail(file: Blob): Promise<string | null> {
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), TIMEOUT_MS));
  const jpeg = await Promise.race([firstFrame(file).catch(() => null), timeout]);
  if (!jpeg || jpeg.size > MAX_BYTES) return null;
  const bytes = new Uint8Array(await jpeg.arrayBuffer());
  let hex = '\\x';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}
