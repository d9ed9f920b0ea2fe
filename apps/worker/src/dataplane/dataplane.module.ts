import { Module } from '@nestjs/common';
import { NetworksDataModule } from '@xenplane/core';
import { DataplaneService } from './dataplane.service.js';

/** One OVS reconciler per host across all workers (libs/network does the work). */
@Module({ imports: [NetworksDataModule], providers: [DataplaneService], exports: [DataplaneService] })
export class DataplaneModule {}
