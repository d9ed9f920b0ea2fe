import { Module } from '@nestjs/common';
import { RateLimitRepository } from './rate-limit.repository.js';
import { RateLimitService } from './rate-limit.service.js';

/** Request budgets per key, tenant and address, shared by replicas through Redis. */
@Module({ providers: [RateLimitRepository, RateLimitService], exports: [RateLimitService] })
export class RateLimitModule {}
