import { PeriodicTask, type AdvisoryLocks } from '@xenplane/core';

/**
 * A periodic pass one worker at a time runs: `PeriodicTask` (its timer, one run at a time, a kick during a run asking
 * for one more after it, the shutdown wait) whose runs first take an advisory lock; a pass another worker holds is
 * skipped.
 */
export class LockedPass extends PeriodicTask {
  constructor(locks: AdvisoryLocks, lockName: string, pass: () => Promise<void>, intervalMs: number, onError: (err: unknown) => void) {
    super(async () => void (await locks.tryWith(lockName, pass)), intervalMs, onError);
  }
}
