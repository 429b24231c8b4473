// Group commit: callers add one item each and get its own result; items that arrive while a statement
// runs go together in the next one. A lone item is written at once (no timer, no added latency); under
// load one round trip carries up to `max` items. A failed statement rejects every item of its batch.

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class Batcher<T, R> {
  private pending: Pending<T, R>[] = [];
  private running = false;

  constructor(
    /** writes a batch; returns one result per item, in order */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly max = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, this.max);
        try {
          const results = await this.write(batch.map((p) => p.item));
          batch.forEach((p, i) => p.resolve(results[i]!));
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
