// The WA Web version of one session's sockets (issue 12 §2.3): asked from the connector's WaVersionSource for every
// socket, kept on the row (wa_web_version) when it changes, and after a 405 ("client is out of date", whatsmeow
// ConnectFailureClientOutdated; Baileys#1937, #2370) one retry with a freshly fetched version if it differs from
// the refused one. A second 405, a pinned WA_VERSION or no newer version ends the link as client_outdated.
import type { Logger } from 'pino';
import { formatWaVersion, type WaVersionChoice, type WaVersionSource } from './wa-version.ts';

export type OutdatedVerdict = { retry: true; lastError: string } | { retry: false; note: string };

export class SessionWaVersion {
  private current: { choice: WaVersionChoice; askedAt: number } | undefined;
  private recorded: string | undefined;
  private retried = false;

  constructor(
    private readonly source: WaVersionSource,
    /** fenced write of whatsapp_sessions.wa_web_version; false = fenced out */
    private readonly record: (version: string) => Promise<boolean>,
    private readonly log: Logger,
  ) {}

  /** The version for the next socket (recorded on the row in the background). */
  async next(): Promise<WaVersionChoice> {
    const askedAt = Date.now();
    const choice = await this.source.get();
    this.current = { choice, askedAt };
    const version = formatWaVersion(choice.version);
    if (this.recorded !== version) {
      this.record(version).then((ok) => {
        if (ok) this.recorded = version;
      }, (error: unknown) => this.log.warn({ err: error }, 'could not record the WA Web version'));
    }
    this.log.debug({ waVersion: version, source: choice.source }, 'announcing WA Web version');
    return choice;
  }

  /** A socket opened: WhatsApp accepted the version; a later 405 may be retried again. */
  accepted(): void {
    this.retried = false;
  }

  /** After a 405: retry (next() then gives the fresh version) or end, with what to say. */
  async afterRefusal(): Promise<OutdatedVerdict> {
    const used = this.current;
    if (!used) return { retry: false, note: 'no version was announced' };
    const refused = formatWaVersion(used.choice.version);
    if (used.choice.source === 'override') return { retry: false, note: `announced ${refused}, pinned by WA_VERSION` };
    if (this.retried) return { retry: false, note: `announced ${refused}, fetched again after a first refusal` };
    this.retried = true;
    const fresh = await this.source.refresh(used.askedAt);
    const freshVersion = formatWaVersion(fresh.version);
    if (freshVersion === refused) {
      const why = fresh.source === 'fetched' ? 'the current version published by WhatsApp is the same' : 'the current version could not be fetched';
      return { retry: false, note: `announced ${refused}; ${why}` };
    }
    this.log.warn({ refused, waVersion: freshVersion, source: fresh.source }, 'WhatsApp refused the WA Web version (405): retrying once with the current one');
    return { retry: true, lastError: `WhatsApp refused WA Web ${refused} as outdated (405); retrying with ${freshVersion}` };
  }
}
