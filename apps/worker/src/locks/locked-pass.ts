import type { AdvisoryLocks } from '@xenplane/core';

/**
 * A periodic pass one worker at a time runs (an advisory lock), never overlapping itself here: the timer, the
 * single in-flight run and the shutdown wait that every such service needs.
 */
export class LockedPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly locks: AdvisoryLocks,
    private readonly lockName: string,
    private readonly pass: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  every(ms: number): void {
    this.timer = setInterval(() => void this.kick(), ms);
  }

  /** Starts a pass unless one is already running here; resolves when it ends (a pass another worker holds is skipped). */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.locks
      .tryWith(this.lockName, () => this.pass())
      .then(
        () => undefined,
        (err: unknown) => this.onError(err),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
