import { z } from 'zod';
import { baseEnv, exitOnConfigError, loadEnv, poolKeyEnv, port, xapiEnv } from '@xenplane/core';

const schema = z.object({
  ...baseEnv,
  ...xapiEnv,
  ...poolKeyEnv,
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  BOOTSTRAP_OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only').default('xenplane'),
  // Sustained requests per minute per API key (0 turns limiting off); the burst defaults to one minute's worth.
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).optional(),
  // Who bills, in FOCUS exports (ProviderName, InvoiceIssuerName, PublisherName, ServiceProviderName, HostProviderName).
  BILLING_PROVIDER_NAME: z.string().trim().min(1).max(100).regex(/^[\x20-\x7e]+$/, 'printable ASCII only').default('xenplane'),
});

export type ApiConfig = z.output<typeof schema>;
export const API_CONFIG = Symbol('API_CONFIG');

/** The API's whole configuration; the only place it reads the environment. */
export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return exitOnConfigError(() => loadEnv(schema, env));
}
