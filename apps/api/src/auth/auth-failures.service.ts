import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@xenplane/core';
import { authFailures } from '../common/api.metrics.js';

// One line per this long at most, with the count since the previous one: a flood of bad tokens costs a counter, not a log.
const LOG_EVERY_MS = 10_000;

export type AuthFailureReason = 'missing' | 'invalid';

/** Failed authentication is counted (metric) and sampled (log), never one audit row each: anyone can cause it. */
@Injectable()
export class AuthFailuresService {
  private unlogged = 0;
  private lastLogAt = 0;

  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  record(reason: AuthFailureReason, address: string, limited: boolean): void {
    authFailures.inc({ reason, answer: limited ? '429' : '401' });
    this.unlogged++;
    const now = Date.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) return;
    this.logger.warn(
      { failures: this.unlogged, reason, address, limited },
      'failed authentication (sampled: this line counts the failures since the last one)',
    );
    this.lastLogAt = now;
    this.unlogged = 0;
  }
}
