import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { PinoNestLogger, PoolRepository, closeOnSignals, createLogger } from '@xenplane/core';
import { loadWorkerConfig } from './config/worker-env.js';
import { WorkerModule } from './worker.module.js';

const config = loadWorkerConfig();
const logger = createLogger('worker', config.LOG_LEVEL);

// An HTTP app only for /health and /metrics; the work itself comes from BullMQ.
const app = await NestFactory.create<NestExpressApplication>(WorkerModule.forRoot(config, logger), {
  logger: new PinoNestLogger(logger),
  bodyParser: false,
});
closeOnSignals(app, logger, config.SHUTDOWN_GRACE_MS);
await app.get(PoolRepository).upsertFromEnv(app.get(DataSource).manager, config.XAPI_URL, config.XAPI_USERNAME);
await app.listen(config.WORKER_PORT, config.WORKER_HOST);
const address = app.getHttpServer().address();
logger.info({ port: typeof address === 'object' && address ? address.port : config.WORKER_PORT }, 'worker listening');
