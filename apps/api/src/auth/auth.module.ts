import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TenancyModule } from '@xenplane/tenancy';
import { ApiAuthGuard } from './auth.guard.js';
import { BearerStrategy } from './bearer.strategy.js';

@Module({
  imports: [PassportModule, TenancyModule],
  providers: [BearerStrategy, { provide: APP_GUARD, useClass: ApiAuthGuard }],
})
export class AuthModule {}
