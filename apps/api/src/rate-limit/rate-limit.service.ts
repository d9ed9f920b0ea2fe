import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError, LOGGER } from '@xenplane/core';
import { rateLimitDecisions } from '../common/api.metrics.js';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import { RateLimitRepository, type RateDecision } from './rate-limit.repository.js';

// A limiter that answers slower than this is treated as down: it must never be what makes the API slow.
const REDIS_TIMEOUT_MS = 250;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rate limiter did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Per-API-key request budgets, shared across replicas through Redis. Only authenticated requests are
 * counted: tokens carry 256 random bits (nothing to brute-force), a refused token costs at most one indexed
 * lookup, and without a trusted-proxy setting a per-IP bucket would be the load balancer's, shared by everyone.
 */
@Injectable()
export class RateLimitService {
  private readonly perMinute: number;
  private readonly burst: number;
  private readonly prefix: string;
  private degraded = false;

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly buckets: RateLimitRepository,
  ) {
    this.perMinute = config.RATE_LIMIT_PER_MINUTE;
    this.burst = config.RATE_LIMIT_BURST ?? Math.max(1, config.RATE_LIMIT_PER_MINUTE);
    this.prefix = `${config.QUEUE_PREFIX}:rate-limit:key:`;
  }

  /** Counts one request against the key's budget; throws `rate_limited` (with retryAfter seconds) once it is spent. */
  async consume(keyId: string): Promise<void> {
    if (this.perMinute === 0) return;
    let decision: RateDecision;
    try {
      decision = await within(this.buckets.take(this.prefix + keyId, this.perMinute, this.burst), REDIS_TIMEOUT_MS);
    } catch (err) {
      // Fail open: Redis holds no truth here (quotas are enforced in Postgres), so its outage must not become the API's.
      rateLimitDecisions.inc({ outcome: 'failed_open' });
      if (!this.degraded) this.logger.warn({ err }, 'rate limiter unavailable: serving requests without limits until Redis answers');
      this.degraded = true;
      return;
    }
    if (this.degraded) {
      this.degraded = false;
      this.logger.info('rate limiter available again');
    }
    rateLimitDecisions.inc({ outcome: decision.allowed ? 'allowed' : 'limited' });
    if (decision.allowed) return;
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new DomainError('rate_limited', `this API key is over its limit of ${this.perMinute} requests per minute; retry in ${retryAfter} s`, {
      retryAfter, limit: this.perMinute, burst: this.burst,
    });
  }
}
