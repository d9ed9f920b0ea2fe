/** A counting semaphore: at most `max` holders at once, FIFO for waiters. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`maxConcurrency must be >= 1, got ${max}`);
  }

  /** Waits for a slot; call the returned function exactly once to free it. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // hand the slot straight to the next waiter so `active` never over-counts
      if (next) next();
      else this.active--;
    };
  }

  /** Number of callers holding a slot. */
  get inUse(): number {
    return this.active;
  }

  /** Number of callers waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }
}
