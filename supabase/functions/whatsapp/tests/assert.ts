// Minimal assertions (jsr:@std/assert cannot be fetched here; only npm: imports work).
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new Error(message);
}
export function assertEquals(actual: unknown, expected: unknown, message?: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message ? message + ': ' : ''}expected ${e}, got ${a}`);
}
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(actual)) throw new Error(`${message ? message + ': ' : ''}${JSON.stringify(actual)} does not match ${pattern}`);
}
export function assertThrows(fn: () => unknown, pattern?: RegExp): Error {
  try {
    fn();
  } catch (error) {
    if (pattern && !(error instanceof Error && pattern.test(error.message))) throw new Error(`unexpected error: ${String(error)}`);
    return error as Error;
  }
  throw new Error('expected a throw');
}
