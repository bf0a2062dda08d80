// When scans run: the first at once, then one every interval, counted from the start of the previous one. Scans never
// overlap: one that takes longer than the interval delays the next (counted as an overrun), and one that passes its
// timeout is aborted (the scan closes its client) and reported, and the next starts only once it has settled.

export interface ScanLoopOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Runs one scan; `signal` aborts when the scan passes its timeout. Must not throw (failures are its own to record). */
  scan: (signal: AbortSignal) => Promise<void>;
  onOverrun: () => void;
  onTimeout: () => void;
}

export class ScanLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** When a scan last ended (performance.now()): /healthz says the loop is wedged when it stops moving. */
  lastProgressAt = performance.now();

  constructor(private readonly options: ScanLoopOptions) {}

  start(): void {
    this.next(0);
  }

  /** Runs one scan now and resolves when it has settled (for --once). */
  async runOnce(): Promise<void> {
    await this.scanBounded();
  }

  /** No more scans; an in-flight one is aborted. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  /** Settles when the scan in flight (if any) has. */
  async settled(): Promise<void> {
    await this.running;
  }

  private abort?: AbortController;

  private next(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = performance.now();
      this.running = this.scanBounded().then(() => {
        this.running = undefined;
        const elapsed = performance.now() - started;
        if (elapsed > this.options.intervalMs) this.options.onOverrun();
        this.next(Math.max(0, this.options.intervalMs - elapsed));
      });
    }, delayMs);
  }

  private async scanBounded(): Promise<void> {
    const abort = (this.abort = new AbortController());
    const deadline = setTimeout(() => {
      this.options.onTimeout();
      abort.abort();
    }, this.options.timeoutMs);
    try {
      await this.options.scan(abort.signal);
    } finally {
      clearTimeout(deadline);
      this.lastProgressAt = performance.now();
    }
  }
}
