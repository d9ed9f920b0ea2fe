import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { PinoNestLogger, PoolRepository, createLogger } from '@xenplane/core';
import { ApiKeysService } from '@xenplane/tenancy';
import { ApiModule } from './api.module.js';
import { jsonBodyMiddleware } from './common/json-body.middleware.js';
import { requestContextMiddleware } from './common/request-context.middleware.js';
import { createValidationPipe } from './common/validation.pipe.js';
import { loadApiConfig } from './config/api-env.js';

const config = loadApiConfig();
const logger = createLogger('api', config.LOG_LEVEL);

const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, logger), {
  logger: new PinoNestLogger(logger),
  bodyParser: false,
});
app.disable('x-powered-by');
app.set('query parser', 'simple');
app.use(requestContextMiddleware);
app.use(jsonBodyMiddleware);
app.useGlobalPipes(createValidationPipe());
app.enableShutdownHooks();

const document = SwaggerModule.createDocument(
  app,
  new DocumentBuilder()
    .setTitle('xenplane')
    .setDescription('Multi-tenant control plane for Xen pools: tenants, VMs, operations.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API key' })
    .build(),
);
SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'v1/openapi.json', raw: ['json'] });

app.get(ApiKeysService).configureBootstrapToken(config.BOOTSTRAP_OPERATOR_TOKEN);
await app.get(PoolRepository).upsertFromEnv(config.XAPI_URL, config.XAPI_USERNAME);

await app.listen(config.PORT, config.HOST);
const address = app.getHttpServer().address();
logger.info({ port: typeof address === 'object' && address ? address.port : config.PORT }, 'api listening');
