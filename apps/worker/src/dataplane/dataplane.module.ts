import { Module } from '@nestjs/common';
import { DataplaneService } from './dataplane.service.js';

/** One OVS reconciler per host across all workers (libs/network does the work). */
@Module({ providers: [DataplaneService], exports: [DataplaneService] })
export class DataplaneModule {}
