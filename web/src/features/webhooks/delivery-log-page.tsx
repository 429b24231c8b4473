// The webhook delivery log: the user's events for their CRM with their state (pending, sending, delivered,
// failed after the last retry), every attempt of one event, and redelivery of one event or of every failed one.
import { Fragment, useCallback, useEffect, useId, useState } from 'react';
import { Alert } from '../../components/alert.tsx';
import { useI18n, type Translate } from '../../i18n/index.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { describeError } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/time.ts';
import type { AppSupabase } from '../../lib/supabase.ts';
import {
  canRedeliver, getWebhookEvent, listWebhookEvents, redeliverDeadWebhookEvents, redeliverWebhookEvent, WEBHOOK_EVENT_STATUSES,
  type WebhookDelivery, type WebhookEvent, type WebhookEventStatus,
} from '../../lib/webhooks-api.ts';

const PAGE_SIZE = 25;
/** How often events still on their way are re-read (they change as the connector delivers them). */
const IN_FLIGHT_REFRESH_MS = 2000;

const statusLabel: Record<WebhookEventStatus, MessageKey> = {
  pending: 'webhooks.status.pending',
  delivering: 'webhooks.status.delivering',
  delivered: 'webhooks.status.delivered',
  dead: 'webhooks.status.dead',
};
const statusTone: Record<WebhookEventStatus, string> = { pending: 'badge-warn', delivering: 'badge-warn', delivered: 'badge-ok', dead: 'badge-bad' };

function lastResult(e: { last_status_code: number | null; last_error: string | null }, t: Translate): string {
  const code = e.last_status_code === null ? null : `HTTP ${e.last_status_code}`;
  if (code) return e.last_error && e.last_error !== code ? `${code} · ${e.last_error}` : code;
  return e.last_error ?? t('webhooks.noAttemptYet');
}

export function DeliveryLogPage({ supabase }: { supabase: AppSupabase }) {
  const { t, lang } = useI18n();
  const filterId = useId();
  const [filter, setFilter] = useState<WebhookEventStatus | ''>('');
  const [events, setEvents] = useState<WebhookEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<{ id: string; deliveries: WebhookDelivery[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async (status: WebhookEventStatus | '') => {
    setError(null);
    try {
      const page = await listWebhookEvents(supabase, { status: status || undefined, limit: PAGE_SIZE });
      setEvents(page.events);
      setCursor(page.next_cursor);
    } catch (caught) {
      setError(describeError(caught, t));
    }
  }, [supabase, t]);

  useEffect(() => { void load(filter); }, [load, filter]);

  const replace = useCallback((event: WebhookEvent) => {
    setEvents((list) => list?.map((e) => (e.id === event.id ? { ...e, ...event } : e)) ?? list);
  }, []);

  // Re-read the events that are still on their way until they are delivered or failed.
  const inFlight = (events ?? []).filter((e) => !canRedeliver(e)).map((e) => e.id).slice(0, 10).join(',');
  useEffect(() => {
    if (!inFlight) return;
    const timer = setInterval(() => {
      for (const id of inFlight.split(',')) {
        getWebhookEvent(supabase, id).then(({ data: _data, deliveries, ...event }) => {
          replace(event);
          setOpen((o) => (o?.id === id ? { id, deliveries } : o));
        }, () => {});
      }
    }, IN_FLIGHT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [inFlight, supabase, replace]);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await action();
    } catch (caught) {
      setError(describeError(caught, t));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (id: string) => run(async () => {
    if (open?.id === id) return setOpen(null);
    const detail = await getWebhookEvent(supabase, id);
    setOpen({ id, deliveries: detail.deliveries });
  });
  const redeliver = (id: string) => run(async () => {
    replace(await redeliverWebhookEvent(supabase, id));
    setNotice(t('webhooks.redeliverQueued'));
  });
  const redeliverDead = () => run(async () => {
    const { redelivered } = await redeliverDeadWebhookEvents(supabase);
    setNotice(t('webhooks.redeliverAllQueued', { count: String(redelivered.length) }));
    await load(filter);
  });
  const loadMore = () => run(async () => {
    if (!cursor) return;
    const page = await listWebhookEvents(supabase, { status: filter || undefined, cursor, limit: PAGE_SIZE });
    setEvents((list) => [...(list ?? []), ...page.events]);
    setCursor(page.next_cursor);
  });

  return (
    <section className="card delivery-log-card" aria-labelledby="delivery-log-title">
      <header className="card-header">
        <h2 id="delivery-log-title" className="card-title">{t('webhooks.title')}</h2>
      </header>
      <div className="card-body">
        <p className="muted">{t('webhooks.intro')}</p>
        <div className="log-toolbar">
          <div className="field">
            <label htmlFor={filterId}>{t('webhooks.filter')}</label>
            <select id={filterId} value={filter} onChange={(e) => setFilter(e.target.value as WebhookEventStatus | '')}>
              <option value="">{t('webhooks.filterAll')}</option>
              {WEBHOOK_EVENT_STATUSES.map((s) => <option key={s} value={s}>{t(statusLabel[s])}</option>)}
            </select>
          </div>
          <div className="actions">
            <button type="button" className="button button-secondary" disabled={busy} onClick={() => void run(() => load(filter))}>
              {t('webhooks.refresh')}
            </button>
            <button type="button" className="button button-secondary" disabled={busy} onClick={() => void redeliverDead()}>
              {t('webhooks.redeliverAll')}
            </button>
          </div>
        </div>
        {error && <Alert tone="error">{error}</Alert>}
        {notice && <Alert tone="success">{notice}</Alert>}
        {events === null && !error && <p className="loading" role="status">{t('app.loading')}</p>}
        {events?.length === 0 && <p className="muted" data-testid="delivery-log-empty">{t('webhooks.empty')}</p>}
        {events && events.length > 0 && (
          <table className="log-table">
            <thead>
              <tr>
                <th scope="col">{t('webhooks.when')}</th>
                <th scope="col">{t('webhooks.event')}</th>
                <th scope="col">{t('webhooks.state')}</th>
                <th scope="col">{t('webhooks.attempts')}</th>
                <th scope="col">{t('webhooks.lastResult')}</th>
                <th scope="col"><span className="visually-hidden">{t('webhooks.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <Fragment key={e.id}>
                  <tr data-testid="delivery-log-row" data-event-id={e.id}>
                    <td>{formatDateTime(e.occurred_at, lang)}</td>
                    <td><code>{e.event_type}</code></td>
                    <td><span className={`badge ${statusTone[e.status]}`} data-testid="event-status">{t(statusLabel[e.status])}</span></td>
                    <td>{e.attempts}</td>
                    <td className="log-result">{lastResult(e, t)}</td>
                    <td className="log-actions">
                      <button type="button" className="button button-secondary" aria-expanded={open?.id === e.id} disabled={busy}
                        onClick={() => void toggle(e.id)}>
                        {t('webhooks.details')}
                      </button>
                      {canRedeliver(e) && (
                        <button type="button" className="button button-secondary" disabled={busy} onClick={() => void redeliver(e.id)}>
                          {t('webhooks.redeliver')}
                        </button>
                      )}
                    </td>
                  </tr>
                  {open?.id === e.id && (
                    <tr className="log-detail">
                      <td colSpan={6}>
                        <p className="hint">{t('webhooks.eventId')} <code>{e.id}</code></p>
                        {open.deliveries.length === 0 ? <p className="muted">{t('webhooks.noAttemptYet')}</p> : (
                          <ol className="attempt-list" data-testid="attempt-list">
                            {open.deliveries.map((d, i) => (
                              <li key={i}>
                                {t('webhooks.attemptLine', {
                                  n: String(d.attempt), when: formatDateTime(d.attempted_at, lang),
                                  result: lastResult({ last_status_code: d.status_code, last_error: d.error }, t), ms: String(d.duration_ms),
                                })}
                              </li>
                            ))}
                          </ol>
                        )}
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
        {cursor && (
          <div className="actions">
            <button type="button" className="button button-secondary" disabled={busy} onClick={() => void loadMore()}>{t('webhooks.loadMore')}</button>
          </div>
        )}
      </div>
    </section>
  );
}
