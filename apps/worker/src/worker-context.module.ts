import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from './config/worker-env.js';

/** The validated configuration and the logger, which every feature module of the worker reads. */
@Global()
@Module({})
export class WorkerContextModule {
  static forRoot(config: WorkerConfig, logger: Logger): DynamicModule {
    const providers = [
      { provide: WORKER_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
    ];
    return { module: WorkerContextModule, providers, exports: providers };
  }
}
