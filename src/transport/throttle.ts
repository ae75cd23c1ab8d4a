// Pacing for reports from hot paths: a flow may carry tens of thousands of packets a second, and neither a
// status update nor a log line per packet is affordable (each status goes to every open editor).

/** Runs `flush` at most once per interval, on a timer armed only when something changed. */
export class Throttle {
  private timer: NodeJS.Timeout | undefined;
  private readonly fire = (): void => {
    this.timer = undefined;
    this.flush();
  };

  constructor(
    private readonly intervalMs: number,
    private readonly flush: () => void,
  ) {}

  /** Something changed: flush within the interval. Costs nothing while a flush is already due. */
  mark(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(this.fire, this.intervalMs);
    this.timer.unref();
  }

  /** Flush at once (a state change the user must see without delay). */
  now(): void {
    this.stop();
    this.flush();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Lets `limit` events through per window; the rest are counted, and once the window ends `onSuppressed`
 * is told how many were dropped, so a flood of bad packets leaves one line per window, not thousands.
 */
export class RateLimiter {
  private windowStart = 0;
  private count = 0;
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly onSuppressed: (count: number) => void,
  ) {}

  allow(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    if (this.count < this.limit) {
      this.count++;
      return true;
    }
    if (this.suppressed++ === 0) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          const n = this.suppressed;
          this.suppressed = 0;
          this.onSuppressed(n);
        },
        Math.max(1, this.windowStart + this.windowMs - now),
      );
      this.timer.unref();
    }
    return false;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.suppressed = 0;
  }
}
