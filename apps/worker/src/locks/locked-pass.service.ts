import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { LockedPass } from './locked-pass.js';

/** A worker service that is one `LockedPass`: started with the app, stopped (its run awaited) with it, kickable by tests. */
export abstract class LockedPassService implements OnApplicationBootstrap, OnApplicationShutdown {
  protected abstract readonly pass: LockedPass;

  onApplicationBootstrap(): void {
    this.pass.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.pass.stop();
  }

  /** A pass now, or right after the one running here; resolves when it ends. */
  kick(): Promise<void> {
    return this.pass.kick();
  }
}
