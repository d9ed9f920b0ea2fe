import { Module } from '@nestjs/common';
import { AuditDataModule, PoolsDataModule, VmsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { AuthModule } from '../auth/auth.module.js';
import { ConsoleController } from './console.controller.js';
import { ConsoleGateway } from './console.gateway.js';
import { ConsoleSessionRepository } from './console-session.repository.js';
import { ConsoleService } from './console.service.js';
import { PoolConsoleConnector } from './pool-console.connector.js';

/** Tenant consoles: the token route, and the WebSocket gateway that relays RFB to the VM's XAPI console. */
@Module({
  imports: [VmsDataModule, PoolsDataModule, AuditDataModule, TenancyModule, AuthModule],
  controllers: [ConsoleController],
  providers: [ConsoleService, ConsoleSessionRepository, PoolConsoleConnector, ConsoleGateway],
  // Image downloads read golden disks through the same connection.
  exports: [PoolConsoleConnector],
})
export class ConsoleModule {}
