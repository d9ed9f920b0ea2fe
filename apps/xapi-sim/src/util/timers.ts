// Sleeps that all end when the simulator closes, so no timer keeps the process (or a test) alive.
import { setTimeout as sleepMs } from 'node:timers/promises';

export class Timers {
  private readonly closing = new AbortController();

  get signal(): AbortSignal {
    return this.closing.signal;
  }

  // Resolves after ms, or early (resolving, not rejecting) when `wake` or shutdown aborts.
  async sleep(ms: number, wake?: AbortSignal): Promise<void> {
    if (ms <= 0) return;
    const signal = wake ? AbortSignal.any([this.closing.signal, wake]) : this.closing.signal;
    try {
      await sleepMs(ms, undefined, { signal });
    } catch {
      // aborted: the caller re-checks its own state
    }
  }

  close(): void {
    this.closing.abort();
  }
}
