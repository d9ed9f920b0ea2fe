import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TenancyModule } from '@xenplane/tenancy';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AuthFailuresService } from './auth-failures.service.js';
import { ApiAuthGuard } from './auth.guard.js';
import { BearerStrategy } from './bearer.strategy.js';
import { SessionStrategy } from './session.strategy.js';

/** Bearer API keys on every route (the global guard), their rate limits, then the route's roles. */
@Module({
  imports: [PassportModule, TenancyModule, RateLimitModule],
  providers: [BearerStrategy, SessionStrategy, AuthFailuresService, { provide: APP_GUARD, useClass: ApiAuthGuard }],
  exports: [AuthFailuresService, RateLimitModule],
})
export class AuthModule {}
