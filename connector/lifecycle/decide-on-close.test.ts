import { describe, expect, it } from 'vitest';
import { backoffDelay, decideOnClose, type CloseContext } from './decide-on-close.ts';

const policy = { baseMs: 1000, maxMs: 30_000, maxAttempts: 5, random: () => 1 };
const ctx = (over: Partial<CloseContext>): CloseContext => ({ code: 428, linked: true, attempts: 0, requested: false, ...over });

describe('decideOnClose', () => {
  it('reconnects at once on 515 (restart required after pairing), without counting an attempt', () => {
    expect(decideOnClose(ctx({ code: 515, linked: false }), policy)).toEqual({ action: 'reconnect', delayMs: 0, attempts: 0 });
    expect(decideOnClose(ctx({ code: 515, attempts: 3 }), policy)).toEqual({ action: 'reconnect', delayMs: 0, attempts: 3 });
  });

  it.each([408, 428, 500, 503, undefined])('backs off exponentially on transient code %s', (code) => {
    const first = decideOnClose(ctx({ code, attempts: 0 }), policy);
    const third = decideOnClose(ctx({ code, attempts: 2 }), policy);
    expect(first).toEqual({ action: 'reconnect', delayMs: 1000, attempts: 1 });
    expect(third).toEqual({ action: 'reconnect', delayMs: 4000, attempts: 3 });
  });

  it('caps the back-off and adds jitter within [half, full] of the step', () => {
    expect(backoffDelay(20, policy)).toBe(30_000);
    const low = backoffDelay(3, { ...policy, random: () => 0 });
    expect(low).toBe(2000);
  });

  it('stops after too many failed reconnects with the reason', () => {
    const decision = decideOnClose(ctx({ code: 503, attempts: 5, message: 'Stream Errored' }), policy);
    expect(decision.action).toBe('failed');
    expect(decision).toMatchObject({ reason: expect.stringContaining('gave up after 5 failed reconnects (last code 503') });
  });

  it('treats 401 as logged out, 440 as replaced (never fight), 403 and 411 as failed', () => {
    expect(decideOnClose(ctx({ code: 401 }), policy).action).toBe('logged_out');
    expect(decideOnClose(ctx({ code: 440 }), policy).action).toBe('replaced');
    expect(decideOnClose(ctx({ code: 403 }), policy).action).toBe('failed');
    expect(decideOnClose(ctx({ code: 411 }), policy).action).toBe('failed');
  });

  it('fails with "QR code expired without a scan" when the QR refs run out before linking (408)', () => {
    expect(decideOnClose(ctx({ code: 408, linked: false }), policy)).toEqual({ action: 'failed', reason: 'QR code expired without a scan' });
  });

  it('does nothing when the close was requested (disconnect, logout, shutdown, lease lost)', () => {
    expect(decideOnClose(ctx({ code: 401, requested: true }), policy)).toEqual({ action: 'none' });
    expect(decideOnClose(ctx({ code: 428, requested: true }), policy)).toEqual({ action: 'none' });
  });

  it('ends a link that hit the passkey gate as passkey_required, and a 405 as client_outdated, linked or not: never a reconnect', () => {
    for (const linked of [false, true]) {
      expect(decideOnClose(ctx({ code: 403, reason: 'passkey_required', linked }), policy)).toMatchObject({
        action: 'ended', status: 'passkey_required', reason: expect.stringMatching(/passkey.*pairing code/),
      });
      expect(decideOnClose(ctx({ code: 405, reason: '405', location: 'cln', linked, attempts: 0 }), policy)).toEqual({
        action: 'ended', status: 'client_outdated',
        reason: 'WhatsApp refused the WA Web version as outdated (405, location cln); update the connector or set WA_VERSION',
      });
    }
    // a plain 403 without the gate's reason stays "failed"
    expect(decideOnClose(ctx({ code: 403, reason: '403' }), policy).action).toBe('failed');
  });
});
