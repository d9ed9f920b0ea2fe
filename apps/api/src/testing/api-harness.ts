import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { createLogger } from '@xenplane/core';
import { createTestDatabase, TEST_USER_DATA_KEY, testRedisPrefix, type TestDatabase } from '@xenplane/testing';
import { createApiApp } from '../bootstrap.js';
import { loadApiConfig } from '../config/api-env.js';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789';

export interface ApiHarness {
  url: string;
  db: TestDatabase;
  app: INestApplication;
  openapi: OpenAPIObject;
  call(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** A new tenant and a key of `role` for it, made by the operator through the API. */
export async function tenantWithKey(api: ApiHarness, name: string, role: 'admin' | 'member' = 'admin'): Promise<{ id: string; token: string }> {
  const t = await api.call('POST', '/v1/tenants', { body: { name } });
  const key = await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: role, role } });
  return { id: t.body.id as string, token: key.body.token as string };
}

/**
 * The real API on a fresh migrated database and the real Redis, listening on a free port. Each harness has its
 * own Redis prefix, and rate limits (per key, per tenant, per address for failed authentication) no test reaches
 * unless it sets its own through `env`.
 */
// `attachTo`: a further API instance on that database (another API process's view); close() leaves it to its owner.
// `logger`: where the API logs (default: silent, or TEST_LOG_LEVEL on stdout); a test that reads the log lines passes its own.
export async function startApi(env: Record<string, string> = {}, opts: { attachTo?: TestDatabase; logger?: Logger } = {}): Promise<ApiHarness> {
  const db = opts.attachTo ?? (await createTestDatabase());
  const config = loadApiConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    BOOTSTRAP_OPERATOR_TOKEN: OPERATOR_TOKEN,
    // Tests create operator keys and go on with this token; the retirement rule has its own test.
    BOOTSTRAP_OPERATOR_TOKEN_RETIRES: 'never',
    BILLING_CURRENCY: 'EUR',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    QUEUE_PREFIX: testRedisPrefix(),
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1000000',
    USER_DATA_KEY: TEST_USER_DATA_KEY,
    ...env,
  });
  const { app, openapi } = await createApiApp(config, opts.logger ?? createLogger('api-test', process.env.TEST_LOG_LEVEL ?? 'silent'));
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    db,
    app,
    openapi,
    async call(method, path, opts = {}) {
      const token = opts.token === undefined ? OPERATOR_TOKEN : opts.token;
      const headers: Record<string, string> = { ...opts.headers };
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await app.close();
      if (!opts.attachTo) await db.drop();
    },
  };
}
