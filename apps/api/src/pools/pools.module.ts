import { Module } from '@nestjs/common';
import { PoolsDataModule, VmsDataModule } from '@xenplane/core';
import { PoolsController } from './pools.controller.js';
import { PoolsService } from './pools.service.js';

/** Registered pools and their hosts (operators). */
@Module({ imports: [PoolsDataModule, VmsDataModule], controllers: [PoolsController], providers: [PoolsService] })
export class PoolsModule {}
