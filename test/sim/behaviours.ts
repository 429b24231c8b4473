// WhatsApp's linking and account behaviours as of late 2026, each ON by default (WhatsApp does it today) and
// switchable per simulator (`startSimulator({ behaviours })`) or per test (`sim.setBehaviours(...)`). Each flag
// names its reports below; each handler (handlers/*.ts, adv.ts) cites the primary source of its model (whatsmeow
// file and lines, rc14 file, Baileys issue/PR). The API is documented in README.md ("Behaviours of late 2026").

export interface Behaviours {
  /**
   * After a QR scan the server sends `<notification type="companion_reg_refresh">` and retires the ADV secret of
   * the QR that was scanned; a pairing whose HMAC would use a retired secret fails on the phone ("Couldn't link
   * device"): no pair-success, no pair-error (Baileys#2737, PR #2765; WA Web WAWebHandleCompanionReqRefreshNotification).
   */
  companionRegRefresh: boolean
  /**
   * Accounts marked passkey-protected (`sim.requirePasskey(phone)`) get `passkey_prologue_request` instead of a
   * pair-success (Baileys#2672, #2694; whatsmeow pair-passkey.go).
   */
  passkeyGate: boolean
  /** Logins from a WA Web version below `versions.minimum` get `<failure reason="405">` (Baileys#1937, #1634, #2370). */
  versionFloor: boolean
  /** A pairing-code request whose `companion_platform_display` is not a standard "Browser (OS)" gets 400 (PR #2769). */
  pairingCodeDisplayCheck: boolean
  /** The phone sends the initial history sync (LID↔phone mappings, recent conversations) after a new link. */
  historySyncOnLink: boolean
  /** Restricted accounts (`sim.restrict`) get error 463 for messages to new contacts; the timelock mex query answers. */
  restrictions: boolean
}

export const DEFAULT_BEHAVIOURS: Readonly<Behaviours> = Object.freeze({
  companionRegRefresh: true,
  passkeyGate: true,
  versionFloor: true,
  pairingCodeDisplayCheck: true,
  historySyncOnLink: true,
  restrictions: true,
})

export type WaVersion = readonly [number, number, number]

/** What stock Baileys 7.0.0-rc14 sends (lib/Defaults/index.js:L5). */
export const RC14_WA_VERSION: WaVersion = [2, 3000, 1043857760]

/**
 * The simulator's WA Web versions. WhatsApp publishes no threshold (unverified: how old is too old); what users
 * report is that a pinned version goes stale and is refused with 405 until the app sends a current one (Baileys#1634:
 * 2.3000.1019707846 refused, location "cln"; #1937). Whether rc14's own pinned version is refused today is not
 * known, so by default the floor is exactly rc14's version (anything older is refused) and `current` is newer; a
 * test that moves the floor past rc14 (`versions: { minimum: current }`) reproduces a stale pin.
 */
export interface WaVersions {
  /** served as client_revision by GET /sw.js (what fetchLatestWaWebVersion reads) */
  current: WaVersion
  /** the oldest version the server accepts */
  minimum: WaVersion
}

export const DEFAULT_VERSIONS: Readonly<WaVersions> = Object.freeze({
  current: [2, 3000, 1046120035] as const,
  minimum: RC14_WA_VERSION,
})

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

export const formatVersion = (v: readonly number[]): string => v.join('.')
