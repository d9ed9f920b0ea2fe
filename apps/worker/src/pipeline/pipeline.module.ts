import { Module } from '@nestjs/common';
import { OperationsDataModule, QueueName } from '@xenplane/core';
import { DiscoveryModule } from '@nestjs/core';
import { BullModule } from '@nestjs/bullmq';
import { PoolsModule } from '../pools/pools.module.js';
import { JobEnqueuer } from './job-enqueuer.js';
import { OperationRegistry } from './operation-registry.js';
import { OperationRunner } from './operation-runner.js';
import { OperationSweeperService } from './operation-sweeper.service.js';
import { OperationsProcessor } from './operations.processor.js';
import { OutboxRelayService } from './outbox-relay.service.js';

/** The one operation pipeline: outbox relay and sweeper (one enqueue), the queue's processor and the runner. */
@Module({
  imports: [DiscoveryModule, OperationsDataModule, PoolsModule, BullModule.registerQueue({ name: QueueName.VmLifecycle })],
  providers: [JobEnqueuer, OperationRegistry, OperationRunner, OperationsProcessor, OutboxRelayService, OperationSweeperService],
  exports: [JobEnqueuer],
})
export class PipelineModule {}
