// The media of one message, through a signed URL of the private bucket: photos and stickers shown,
// voice notes and audio playable, video playable and downloadable, documents downloadable. A file
// that is not stored (still downloading, too large, failed, expired, not kept) says why instead. The preview
// WhatsApp sent with a photo, video or document (media.thumbnail) is shown before and without the file, as is a
// voice note's waveform (media.waveform, received or as sent), filled in as the note plays.
import { useState } from 'react';
import type { AppSupabase } from '../../lib/supabase.ts';
import { useI18n } from '../../i18n/index.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { formatBytes, formatDuration } from './format.ts';
import type { MediaState, MessageMedia } from './media-types.ts';
import { useSignedUrl } from './signed-url.ts';
import { Waveform } from './waveform.tsx';

const NOT_STORED: Record<Exclude<MediaState, 'stored'>, MessageKey> = {
  pending: 'media.pending',
  too_large: 'media.tooLarge',
  failed: 'media.failed',
  expired: 'media.expired',
  disabled: 'media.disabled',
};

/** The small picture WhatsApp sent with the message; decorative when the full file is shown beside it. */
function Preview({ media, label }: { media: MessageMedia; label: string | null }) {
  if (!media.thumbnail) return null;
  return <img className="media-preview" src={media.thumbnail} alt={label ?? ''} data-testid="media-preview" />;
}

export function MediaView({ supabase, media, caption, who }: { supabase: AppSupabase; media: MessageMedia; caption: string | null; who: string }) {
  const { t } = useI18n();
  const state = media.state ?? 'stored';
  if (state !== 'stored' || !media.path) {
    const reason = state === 'stored' ? 'media.failed' : NOT_STORED[state];
    const label = t(`media.label.${media.kind}`, { who, duration: formatDuration(media.durationSeconds) });
    return (
      <div className="media-missing" data-testid="media" data-kind={media.kind} data-state={state}>
        <Preview media={media} label={t('media.preview', { what: label })} />
        {media.waveform && <Waveform bars={media.waveform} label={label} progress={0} />}
        <p>
          <span className="media-kind">{t(`media.kind.${media.kind}`)}</span>
          {media.fileName && <span className="media-file-name">{media.fileName}</span>}
          <span>{t(reason, { size: formatBytes(media.sizeBytes) })}</span>
        </p>
      </div>
    );
  }
  return <StoredMedia supabase={supabase} media={{ ...media, path: media.path }} caption={caption} who={who} />;
}

function StoredMedia({ supabase, media, caption, who }: { supabase: AppSupabase; media: MessageMedia & { path: string }; caption: string | null; who: string }) {
  const { t } = useI18n();
  const isDownload = media.kind === 'document' || media.kind === 'video';
  const fileName = media.fileName ?? media.path.split('/').pop() ?? media.path;
  const view = useSignedUrl(supabase, media.path);
  const saved = useSignedUrl(supabase, isDownload ? media.path : null, fileName);
  const [played, setPlayed] = useState(0);
  const common = { 'data-testid': 'media', 'data-kind': media.kind, 'data-state': 'stored', 'data-path': media.path };

  if (view.status === 'error') {
    return <p className="media-missing" {...common} data-state="unavailable">{t('media.unavailable')}</p>;
  }
  const label = t(`media.label.${media.kind}`, { who, duration: formatDuration(media.durationSeconds) });
  if (view.status === 'loading') {
    return (
      <div className="media-loading" {...common} data-state="loading">
        <Preview media={media} label={t('media.preview', { what: label })} />
        <p>{t('app.loading')}</p>
      </div>
    );
  }
  const download = saved.status === 'ready' && (
    <a className="media-download" href={saved.url} download={fileName} data-testid="media-download">
      {t('media.download', { name: fileName, size: formatBytes(media.sizeBytes) })}
    </a>
  );
  switch (media.kind) {
    case 'image':
    case 'sticker':
      return (
        <figure className={`media media-${media.kind}`} {...common}>
          <a href={view.url} target="_blank" rel="noreferrer">
            <img src={view.url} alt={caption ? `${label}: ${caption}` : label}
              width={media.width ?? undefined} height={media.height ?? undefined} loading="lazy" />
          </a>
        </figure>
      );
    case 'voice':
    case 'audio':
      return (
        <figure className={`media media-${media.kind}`} {...common}>
          <figcaption className="media-kind">{label}</figcaption>
          {media.waveform && <Waveform bars={media.waveform} label={label} progress={played} />}
          <audio controls preload="metadata" src={view.url} aria-label={label}
            onTimeUpdate={(event) => setPlayed(progressOf(event.currentTarget))} onEnded={() => setPlayed(0)} />
        </figure>
      );
    case 'video':
      return (
        <figure className="media media-video" {...common}>
          <video controls preload="metadata" src={view.url} aria-label={label} poster={media.thumbnail ?? undefined}
            width={media.width ?? undefined} height={media.height ?? undefined} />
          {download}
        </figure>
      );
    case 'document':
      return (
        <figure className="media media-document" {...common}>
          <figcaption className="media-kind">{t('media.kind.document')}</figcaption>
          <Preview media={media} label={null} />
          {download || <span>{fileName}</span>}
        </figure>
      );
  }
}

/** How far an audio element has played, 0-1 (0 while its length is not known). */
function progressOf(audio: HTMLAudioElement): number {
  return Number.isFinite(audio.duration) && audio.duration > 0 ? audio.currentTime / audio.duration : 0;
}
