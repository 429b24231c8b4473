import { describe, expect, it } from 'vitest';
import { paceDelay } from './pacing.ts';

describe('paceDelay', () => {
  const pacing = { minIntervalMs: 1000, jitterMs: 500 };
  it('sends the first message of a queue at once', () => {
    expect(paceDelay(0, pacing, 5000)).toBe(0);
  });
  it('waits the rest of the interval plus a share of the jitter', () => {
    expect(paceDelay(10_000, pacing, 10_200, () => 0)).toBe(800);
    expect(paceDelay(10_000, pacing, 10_200, () => 0.5)).toBe(1050);
  });
  it('never waits once the interval has passed, nor when pacing is off', () => {
    expect(paceDelay(10_000, pacing, 12_000, () => 0.9)).toBe(0);
    expect(paceDelay(10_000, { minIntervalMs: 0, jitterMs: 0 }, 10_001)).toBe(0);
  });
});
