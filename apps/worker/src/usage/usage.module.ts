import { Module } from '@nestjs/common';
import { UsageAggregatorService } from './usage-aggregator.service.js';

/** Hourly usage aggregation and rating (libs/accounting), one worker at a time. */
@Module({ providers: [UsageAggregatorService] })
export class UsageModule {}
