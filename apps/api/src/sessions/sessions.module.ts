import { Module } from '@nestjs/common';
import { TenancyModule } from '@xenplane/tenancy';
import { AuthModule } from '../auth/auth.module.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

/** Web console sessions: login (`POST /v1/sessions`), the current session, logout. */
@Module({
  imports: [TenancyModule, AuthModule],
  controllers: [SessionsController],
  providers: [SessionsService],
})
export class SessionsModule {}
