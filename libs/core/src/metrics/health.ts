import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { Public } from '../http/public.decorator.js';
import { LOGGER, caught } from '../logging/index.js';
import { withTimeout } from '../util/with-timeout.js';
import { metricsRegistry } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** The checks every process of ours has: Postgres answers a query and Redis a PING. */
export function storageChecks(db: { ping(): Promise<void> }, redis: { ping(): Promise<unknown> }): ReadinessCheck[] {
  return [
    { name: 'database', check: () => db.ping() },
    { name: 'redis', check: async () => void (await redis.ping()) },
  ];
}
/** Hook an app registers to refresh sampled gauges right before a scrape. */
export const METRICS_SAMPLER = Symbol('METRICS_SAMPLER');
export type MetricsSampler = () => Promise<void>;

/** Liveness, readiness and Prometheus metrics; unauthenticated, outside /v1. */
@Public()
@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(METRICS_SAMPLER) private readonly sampler: MetricsSampler,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @HttpCode(200)
  async ready(@Res({ passthrough: true }) res: Response) {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), 3000);
          return [c.name, { status: 'up' }] as const;
        } catch (err) {
          return [c.name, { status: 'down', error: (err as Error).message }] as const;
        }
      }),
    );
    const ok = results.every(([, r]) => r.status === 'up');
    res.status(ok ? 200 : 503);
    const checks: Record<string, { status: string; error?: string }> = {};
    for (const [name, r] of results) checks[name] = r;
    return { status: ok ? 'ok' : 'unavailable', checks };
  }

  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  async metrics(): Promise<string> {
    await this.sampler().catch(caught(this.logger, 'metrics: sample gauges', undefined));
    return metricsRegistry.metrics();
  }
}
