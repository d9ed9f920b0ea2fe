import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError, LOGGER, withTimeout } from '@xenplane/core';
import type { Principal } from '@xenplane/tenancy';
import { rateLimitDecisions } from '../common/api.metrics.js';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import { RateLimitRepository, type Bucket, type RateDecision } from './rate-limit.repository.js';

// A limiter that answers slower than this is treated as down: it must never be what makes the API slow.
const REDIS_TIMEOUT_MS = 250;

interface Limit {
  perMinute: number;
  burst: number;
  what: string;
}

const limit = (perMinute: number, burst: number | undefined, what: string): Limit => ({ perMinute, burst: burst ?? Math.max(1, perMinute), what });

/**
 * Request budgets shared across replicas through Redis: each API key has one, each tenant one more for all its
 * keys together (so minting keys does not multiply its rate), and requests that fail authentication one per
 * client address (`req.ip`: set TRUST_PROXY behind a proxy, else every client shares the proxy's bucket).
 */
@Injectable()
export class RateLimitService {
  private readonly key: Limit;
  private readonly tenant: Limit;
  private readonly unauthenticated: Limit;
  private readonly prefix: string;
  private degraded = false;

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly buckets: RateLimitRepository,
  ) {
    this.key = limit(config.RATE_LIMIT_PER_MINUTE, config.RATE_LIMIT_BURST, 'this API key');
    const tenantPerMinute = config.RATE_LIMIT_TENANT_PER_MINUTE ?? Math.min(4 * config.RATE_LIMIT_PER_MINUTE, 1_000_000);
    this.tenant = limit(tenantPerMinute, config.RATE_LIMIT_TENANT_BURST, "this tenant's keys together");
    this.unauthenticated = limit(
      config.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE,
      config.RATE_LIMIT_UNAUTHENTICATED_BURST,
      'unauthenticated requests from this address',
    );
    this.prefix = `${config.QUEUE_PREFIX}:rate-limit:`;
  }

  /** Counts one request against the key's and its tenant's budgets; throws `rate_limited` (with retryAfter seconds) once one is spent. */
  async consume(p: Principal): Promise<void> {
    const limits: [Limit, string][] = [[this.key, `key:${p.keyId}`]];
    if (p.tenantId) limits.push([this.tenant, `tenant:${p.tenantId}`]);
    await this.take(limits, (l) => (l === this.key ? 'limited' : 'tenant_limited'));
  }

  /** Counts a request that failed authentication against its address's budget; throws `rate_limited` once it is spent. */
  async consumeUnauthenticated(address: string): Promise<void> {
    await this.take([[this.unauthenticated, `address:${address}`]], () => 'address_limited');
  }

  private async take(limits: [Limit, string][], outcome: (refused: Limit) => string): Promise<void> {
    const active = limits.filter(([l]) => l.perMinute > 0);
    if (!active.length) return;
    const buckets: Bucket[] = active.map(([l, name]) => ({ key: this.prefix + name, perMinute: l.perMinute, burst: l.burst }));
    const decision = await this.decide(buckets);
    if (!decision) return;
    if (decision.allowed) {
      rateLimitDecisions.inc({ outcome: 'allowed' });
      return;
    }
    const refused = active[decision.refusedBy ?? 0][0];
    rateLimitDecisions.inc({ outcome: outcome(refused) });
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new DomainError(
      'rate_limited',
      `${refused.what} went over the limit of ${refused.perMinute} requests per minute; retry in ${retryAfter} s`,
      {
        retryAfter,
        limit: refused.perMinute,
        burst: refused.burst,
      },
    );
  }

  /** The buckets' decision, or null when Redis did not answer in time. */
  private async decide(buckets: Bucket[]): Promise<RateDecision | null> {
    try {
      const decision = await withTimeout(
        this.buckets.takeAll(buckets),
        REDIS_TIMEOUT_MS,
        `rate limiter did not answer within ${REDIS_TIMEOUT_MS} ms`,
      );
      if (this.degraded) {
        this.degraded = false;
        this.logger.info('rate limiter available again');
      }
      return decision;
    } catch (err) {
      // Fail open: Redis holds no truth here (quotas are enforced in Postgres), so its outage must not become the API's.
      rateLimitDecisions.inc({ outcome: 'failed_open' });
      if (!this.degraded) this.logger.warn({ err }, 'rate limiter unavailable: serving requests without limits until Redis answers');
      this.degraded = true;
      return null;
    }
  }
}
