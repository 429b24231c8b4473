// Runs the sweeps (commands, wanted sessions, outbound) one at a time: on start, on every doorbell ring
// and on a timer. A ring while a sweep runs schedules exactly one more.
import type { Logger } from 'pino';

export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.ring(), this.intervalMs);
    this.timer.unref();
    this.ring();
  }

  ring(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.work();
        } catch (error) {
          this.logger.warn({ err: error }, 'sweep failed; the next ring or tick retries');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
