import { closeOnSignals, createLogger } from '@xenplane/core';
import { createApiApp } from './bootstrap.js';
import { loadApiConfig } from './config/api-env.js';

const config = loadApiConfig();
const logger = createLogger('api', config.LOG_LEVEL);
const { app } = await createApiApp(config, logger);
closeOnSignals(app, logger);
await app.listen(config.PORT, config.HOST);
const address = app.getHttpServer().address();
logger.info({ port: typeof address === 'object' && address ? address.port : config.PORT }, 'api listening');
