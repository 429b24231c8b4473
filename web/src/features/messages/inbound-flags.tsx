// What WhatsApp did to a message after it arrived, shown under it: the contact edited it (the earlier texts stay
// readable), deleted it for everyone (the text is kept, marked), or it came with the phone's history on link.
import { useI18n } from '../../i18n/index.tsx';
import type { InboundMessage } from '../../lib/types.ts';

/** previous_texts as the connector writes it: [{ text, replaced_at }], oldest first. */
function previousTexts(value: InboundMessage['previous_texts']): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const text = entry && typeof entry === 'object' && !Array.isArray(entry) ? entry.text : null;
    return typeof text === 'string' ? [text] : [];
  });
}

export function InboundFlags({ row }: { row: InboundMessage }) {
  const { t } = useI18n();
  const before = previousTexts(row.previous_texts);
  return (
    <>
      {row.imported && <span className="message-flag" data-testid="imported">{t('messages.fromHistory')}</span>}
      {row.deleted_at && <span className="message-flag" data-testid="contact-deleted">{t('actions.deleted')}</span>}
      {row.edited_at && (
        <details className="message-flag" data-testid="contact-edited">
          <summary>{t('actions.edited')}</summary>
          {before.map((text, i) => <span key={i} className="message-previous">{t('messages.previousText', { text })}</span>)}
        </details>
      )}
    </>
  );
}
