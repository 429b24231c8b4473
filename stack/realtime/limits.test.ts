// Realtime.RateCounter's arithmetic on a fake clock: a count per tick, the average per second over the last
// 12 ticks, the limit triggered at the average and released below it.
import { describe, expect, it } from 'vitest';
import { ClientPresenceWindow, RateCounter } from './limits.ts';

describe('RateCounter', () => {
  it('averages the last 12 ticks per second, triggers at the limit and releases below it', () => {
    let now = 0;
    const counter = new RateCounter(10, 1_000, () => now);
    counter.add(30);
    expect(counter.triggered).toBe(false); // no tick yet: Realtime decides at ticks only
    now = 1_000;
    expect(counter.avg).toBe(30);
    expect(counter.triggered).toBe(true);
    now = 3_000; // two more ticks of nothing: 30 / 3 buckets
    expect(counter.avg).toBe(10);
    expect(counter.triggered).toBe(true);
    now = 4_000;
    expect(counter.avg).toBe(7.5);
    expect(counter.triggered).toBe(false);
    now = 100_000; // long idle: every bucket empty
    expect(counter.avg).toBe(0);
  });
});

describe('ClientPresenceWindow', () => {
  it('allows maxCalls per window and starts a new window after it', () => {
    const window = new ClientPresenceWindow(2, 1_000);
    expect([window.allow(0), window.allow(10), window.allow(20)]).toEqual([true, true, false]);
    expect(window.allow(1_001)).toBe(true);
  });
});
