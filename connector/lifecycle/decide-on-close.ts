// What to do when a Baileys socket closes: a pure policy table (no I/O), unit-tested on its own.
//
//   515 restart required (right after pairing)  → reconnect at once
//   408 / 428 / 500 / 503 / unknown (transient) → reconnect with exponential back-off + jitter, capped;
//                                                 'failed' after too many attempts in a row
//   408 before the account was ever linked      → the QR refs ran out: 'failed' "QR code expired without a scan"
//   401 logged out (on the phone or by us)      → wipe credentials, 'logged_out', fail unsent rows
//   440 replaced (another client took the link) → 'replaced', never fight back: no logout (the device is
//       someone else's now), credentials wiped (a terminal session never uses them again)
//   403 forbidden                               → 'failed'
//   411 multi-device mismatch                   → 'failed'
//   the passkey gate (data.reason passkey_required, linking-patches.ts) → 'passkey_required' (issue 12)
//   405 <failure reason="405"> (outdated WA Web) → 'client_outdated', never a reconnect loop (issue 12); the
//                                                 caller first retries once with a freshly fetched version

/** lastDisconnect.error.data.reason of a link that hit WhatsApp's passkey gate (baileys-patches/linking-patches.ts). */
export const PASSKEY_REQUIRED_REASON = 'passkey_required';

export interface CloseContext {
  /** Baileys' lastDisconnect.error.output.statusCode (undefined when there is none) */
  code: number | undefined;
  message?: string;
  /** Baileys' lastDisconnect.error.data.reason (the failure's reason, or the passkey gate's) */
  reason?: string;
  /** its data.location (a 405 names the server's check, e.g. "cln") */
  location?: string;
  /** true once the account is linked (creds.me exists) */
  linked: boolean;
  /** consecutive failed reconnects so far (0 on the first close after being open) */
  attempts: number;
  /** the close was asked for (disconnect / logout command, shutdown, lease lost) */
  requested: boolean;
}

export interface ReconnectPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
  /** 0..1, defaults to Math.random */
  random?: () => number;
}

export type CloseDecision =
  | { action: 'none' }
  | { action: 'reconnect'; delayMs: number; attempts: number }
  | { action: 'logged_out'; reason: string }
  | { action: 'replaced'; reason: string }
  | { action: 'failed'; reason: string }
  /** the link or login ended for a reason the user must act on (terminal, no reconnect) */
  | { action: 'ended'; status: 'passkey_required' | 'client_outdated'; reason: string };

export const DisconnectCode = {
  connectionLost: 408,
  clientOutdated: 405,
  loggedOut: 401,
  forbidden: 403,
  multideviceMismatch: 411,
  connectionClosed: 428,
  connectionReplaced: 440,
  badSession: 500,
  unavailableService: 503,
  restartRequired: 515,
} as const;

/** Exponential back-off with "equal jitter": half fixed, half random, capped at maxMs. */
export function backoffDelay(attempt: number, policy: ReconnectPolicy): number {
  const random = policy.random ?? Math.random;
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export function decideOnClose(ctx: CloseContext, policy: ReconnectPolicy): CloseDecision {
  if (ctx.requested) return { action: 'none' };
  if (ctx.reason === PASSKEY_REQUIRED_REASON) {
    return {
      action: 'ended',
      status: 'passkey_required',
      reason: 'WhatsApp asks for a passkey to link this account (the phone shows "Continue on WhatsApp Web"); link with a pairing code instead, or try again',
    };
  }
  switch (ctx.code) {
    case DisconnectCode.clientOutdated:
      return {
        action: 'ended',
        status: 'client_outdated',
        reason: `WhatsApp refused the WA Web version as outdated (405${ctx.location ? `, location ${ctx.location}` : ''}); update the connector or set WA_VERSION`,
      };
    case DisconnectCode.restartRequired:
      return { action: 'reconnect', delayMs: 0, attempts: ctx.attempts };
    case DisconnectCode.loggedOut:
      return { action: 'logged_out', reason: 'logged out: the device was unlinked from WhatsApp' };
    case DisconnectCode.connectionReplaced:
      return { action: 'replaced', reason: 'replaced: another client opened this WhatsApp link (440), not reconnecting' };
    case DisconnectCode.forbidden:
      return { action: 'failed', reason: 'forbidden (403): WhatsApp refused this account' };
    case DisconnectCode.multideviceMismatch:
      return { action: 'failed', reason: 'multi-device mismatch (411): link the device again' };
  }
  if (!ctx.linked) {
    if (ctx.code === DisconnectCode.connectionLost) return { action: 'failed', reason: 'QR code expired without a scan' };
  }
  const attempts = ctx.attempts + 1;
  if (attempts > policy.maxAttempts) {
    return { action: 'failed', reason: `gave up after ${ctx.attempts} failed reconnects (last code ${ctx.code ?? 'none'}: ${ctx.message ?? 'connection closed'})` };
  }
  return { action: 'reconnect', delayMs: backoffDelay(attempts, policy), attempts };
}
