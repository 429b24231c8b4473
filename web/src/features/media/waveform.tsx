// A voice note's waveform as WhatsApp draws it beside the player: one bar per value (0-100, WhatsApp sends 64),
// from the row itself, so the shape shows before (and without) the file. Bars already played are filled in.
import { useI18n } from '../../i18n/index.tsx';

const HEIGHT = 28;
const BAR = 3;
const GAP = 1;

export function Waveform({ bars, label, progress }: { bars: number[]; label: string; progress: number }) {
  const { t } = useI18n();
  if (bars.length === 0) return null;
  const played = Math.round(Math.max(0, Math.min(1, progress)) * bars.length);
  const width = bars.length * (BAR + GAP) - GAP;
  return (
    <svg className="media-waveform" role="img" aria-label={t('media.waveform', { what: label })} data-testid="media-waveform"
      data-bars={bars.join(',')} data-played={played} viewBox={`0 0 ${width} ${HEIGHT}`} width={width} height={HEIGHT}>
      {bars.map((bar, i) => {
        const h = Math.max(2, Math.round((bar / 100) * HEIGHT));
        return <rect key={i} x={i * (BAR + GAP)} y={(HEIGHT - h) / 2} width={BAR} height={h} rx={1}
          className={i < played ? 'played' : undefined} />;
      })}
    </svg>
  );
}
