import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PinoNestLogger, PoolRepository } from '@xenplane/core';
import { ApiKeyAuthService } from '@xenplane/tenancy';
import { ApiModule } from './api.module.js';
import { BillingCurrencyService } from './billing/billing-currency.service.js';
import { answerClientErrors, hostHeaderMiddleware } from './common/client-error.handler.js';
import { finishDocument } from './common/problem.openapi.js';
import { jsonBodyMiddleware } from './common/json-body.middleware.js';
import { requestContextMiddleware } from './common/request-context.middleware.js';
import { createValidationPipe } from './common/validation.pipe.js';
import type { ApiConfig } from './config/api-env.js';
import { serveWebUi } from './web-ui/web-ui.js';

/** Builds the API application (not yet listening): the same wiring for `main.ts` and the tests. */
export async function createApiApp(config: ApiConfig, logger: Logger): Promise<{ app: NestExpressApplication; openapi: OpenAPIObject }> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  answerClientErrors(app.getHttpServer());
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Who the client is (rate limits of failed authentication): behind a proxy only what TRUST_PROXY says to believe.
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(requestContextMiddleware);
  app.use(hostHeaderMiddleware);
  app.use(jsonBodyMiddleware);
  serveWebUi(app, config.WEB_UI_DIR);
  app.useGlobalPipes(createValidationPipe());

  const openapi = finishDocument(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('xenplane')
        .setDescription(
          'Multi-tenant control plane for Xen pools: tenants, API keys, flavors, images, VMs and their operations. ' +
            'API keys go in the `Authorization: Bearer` header only. `Idempotency-Key` (POST, PUT, PATCH, DELETE) replays the first answer ' +
            'to the same API key only, after the same role and tenant checks, and never replays a secret: a replayed API key creation has `token: null`.',
        )
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API key' })
        .build(),
    ),
  );
  SwaggerModule.setup('docs', app, openapi, { jsonDocumentUrl: 'v1/openapi.json', raw: ['json'] });

  try {
    app.get(ApiKeyAuthService).configureBootstrapToken(config.BOOTSTRAP_OPERATOR_TOKEN, config.BOOTSTRAP_OPERATOR_TOKEN_RETIRES);
    await app.get(BillingCurrencyService).adopt();
    await app.get(PoolRepository).upsertFromEnv(app.get(DataSource).manager, config.XAPI_URL, config.XAPI_USERNAME);
  } catch (err) {
    // A refused start (e.g. BILLING_CURRENCY against the prices) leaves no pool or connection behind.
    await app.close();
    throw err;
  }
  return { app, openapi };
}
