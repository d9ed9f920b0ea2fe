import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TenancyModule } from '@xenplane/tenancy';
import { BearerStrategy } from './bearer.strategy.js';

/** The bearer strategy; ApiModule registers the global ApiAuthGuard beside the config and rate limiter it uses. */
@Module({
  imports: [PassportModule, TenancyModule],
  providers: [BearerStrategy],
})
export class AuthModule {}
