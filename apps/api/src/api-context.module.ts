import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@xenplane/core';
import { API_CONFIG, type ApiConfig } from './config/api-env.js';

/** The validated configuration and the logger, which every feature module of the API reads. */
@Global()
@Module({})
export class ApiContextModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    const providers = [
      { provide: API_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
    ];
    return { module: ApiContextModule, providers, exports: providers };
  }
}
