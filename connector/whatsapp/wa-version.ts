// Which WA Web version the connector announces (issue 12 §2.3). WhatsApp refuses logins and registrations from
// an outdated WA Web with `<failure reason="405">` right after the handshake (Baileys#1937, #2370; whatsmeow
// ConnectFailureClientOutdated), and rc14's pinned version goes stale. So: the configured override if any, else
// the current version read from WhatsApp's service worker like rc14's fetchLatestWaWebVersion (Utils/generics.js:
// GET sw.js with its headers, /\\?"client_revision\\?":\s*(\d+)/ → [2, 3000, revision]; ours takes the URL from the
// config so a test or a proxy can serve it), else Baileys' pinned version. Fetched at start and again after a 405.
import { DEFAULT_CONNECTION_CONFIG } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';

export type WaVersion = [number, number, number];

export interface WaVersionChoice {
  version: WaVersion;
  /** override: WA_VERSION; fetched: read from WA_VERSION_URL; pinned: Baileys' built-in (the fetch failed) */
  source: 'override' | 'fetched' | 'pinned';
  at: number;
}

export interface WaVersionConfig {
  override: WaVersion | null;
  url: string;
  fetchTimeoutMs: number;
}

export const PINNED_WA_VERSION = [...DEFAULT_CONNECTION_CONFIG.version] as WaVersion;

export const formatWaVersion = (v: readonly number[]): string => v.join('.');

/** Reads client_revision from WhatsApp's service worker; throws on any failure. */
export async function fetchWaWebVersion(url: string, timeoutMs: number): Promise<WaVersion> {
  const response = await fetch(url, {
    headers: {
      'sec-fetch-site': 'none',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  const revision = (await response.text()).match(/\\?"client_revision\\?":\s*(\d+)/)?.[1];
  if (!revision) throw new Error(`GET ${url}: no client_revision in the service worker`);
  return [2, 3000, Number(revision)];
}

/** A failed fetch is asked again after this long (the pinned fallback is not kept for the connector's lifetime). */
const RETRY_FAILED_FETCH_MS = 60_000;
/** One choice per connector, shared by its sessions; refresh() after a 405 asks WhatsApp again. */
export class WaVersionSource {
  private current: Promise<WaVersionChoice> | undefined;
  private chosenAt = 0;

  constructor(
    private readonly config: WaVersionConfig,
    private readonly logger: Logger,
  ) {}

  async get(): Promise<WaVersionChoice> {
    if (this.current) {
      const choice = await this.current;
      if (choice.source !== 'pinned' || Date.now() - choice.at < RETRY_FAILED_FETCH_MS) return choice;
    }
    return this.refresh(Date.now());
  }

  /**
   * After a 405: a choice made after `refusedSince` (when the refused socket asked for its version), fetched anew
   * unless another refused session already did (sessions refused together share one fetch). The override stays.
   */
  refresh(refusedSince: number): Promise<WaVersionChoice> {
    if (this.current && this.chosenAt > refusedSince) return this.current;
    this.chosenAt = Date.now();
    this.current = this.choose();
    return this.current;
  }

  private async choose(): Promise<WaVersionChoice> {
    if (this.config.override) {
      this.logger.info({ waVersion: formatWaVersion(this.config.override), source: 'override' }, 'WA Web version from WA_VERSION');
      return { version: this.config.override, source: 'override', at: Date.now() };
    }
    try {
      const version = await fetchWaWebVersion(this.config.url, this.config.fetchTimeoutMs);
      this.logger.info({ waVersion: formatWaVersion(version), source: 'fetched', url: this.config.url }, 'WA Web version fetched');
      return { version, source: 'fetched', at: Date.now() };
    } catch (error) {
      this.logger.warn({ err: error, waVersion: formatWaVersion(PINNED_WA_VERSION), source: 'pinned', url: this.config.url },
        'could not fetch the current WA Web version; using the one pinned in Baileys');
      return { version: PINNED_WA_VERSION, source: 'pinned', at: Date.now() };
    }
  }
}
