import { isIP } from 'node:net';
import { z } from 'zod';
import { isNationalCurrency } from '@xenplane/accounting';
import { baseEnv, exitOnConfigError, imageSpoolEnv, loadEnv, poolKeyEnv, port, userDataKeyEnv, webhookEnv, xapiEnv } from '@xenplane/core';

/** One entry of a trusted-proxy list, as Express (proxy-addr) takes it: a named range, an address or a CIDR. */
function proxyEntry(v: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(v)) return true;
  const [address, bits, extra] = v.split('/');
  const family = isIP(address ?? '');
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}
const trustProxyValid = (v: string) => ['true', 'false'].includes(v) || /^\d{1,2}$/.test(v) || v.split(',').every((e) => proxyEntry(e.trim()));
const trustProxy = (v: string): boolean | number | string => (v === 'false' ? false : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v);

const schema = z.object({
  ...baseEnv,
  ...xapiEnv,
  ...poolKeyEnv,
  ...userDataKeyEnv,
  ...imageSpoolEnv,
  ...webhookEnv,
  // A comment line on every open event stream this often, so proxies and load balancers keep it open.
  EVENTS_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  // Open event streams per tenant (all its keys, operators' own count as one tenant) and per API key, in each API process.
  EVENTS_MAX_STREAMS_PER_TENANT: z.coerce.number().int().min(1).max(100_000).default(20),
  EVENTS_MAX_STREAMS_PER_KEY: z.coerce.number().int().min(1).max(100_000).default(5),
  // Webhooks a tenant may register (409 webhook_limit_reached beyond).
  WEBHOOKS_MAX_PER_TENANT: z.coerce.number().int().min(0).max(10_000).default(20),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  BOOTSTRAP_OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // on-first-operator-key: the bootstrap token answers 401 once any operator key was created; never: it works while configured.
  BOOTSTRAP_OPERATOR_TOKEN_RETIRES: z.enum(['on-first-operator-key', 'never']).default('on-first-operator-key'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
    .default('xenplane'),
  // Sustained requests per minute per API key (0 turns limiting off); the burst defaults to one minute's worth.
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).optional(),
  // All of a tenant's keys together (default: four keys' worth), so minting keys does not multiply a tenant's rate.
  RATE_LIMIT_TENANT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).optional(),
  RATE_LIMIT_TENANT_BURST: z.coerce.number().int().min(1).max(1_000_000).optional(),
  // Requests that fail authentication, per client address.
  RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(60),
  RATE_LIMIT_UNAUTHENTICATED_BURST: z.coerce.number().int().min(1).max(1_000_000).optional(),
  // Express "trust proxy": which proxies' X-Forwarded-For names the client (hop count, addresses/CIDRs, loopback, ...).
  TRUST_PROXY: z
    .string()
    .trim()
    .refine(trustProxyValid, 'false, true, a hop count, or a comma-separated list of addresses, CIDRs, loopback, linklocal, uniquelocal')
    .default('false')
    .transform(trustProxy),
  // A VM's live maximums (VCPUs_max, memory_static_max) as a factor of its size: how far it may grow without a stop.
  LIVE_RESIZE_HEADROOM: z.coerce
    .number({ error: 'must be a number from 1 to 16' })
    .min(1, 'must be at least 1 (1: no live growth)')
    .max(16, 'must be at most 16')
    .default(2),
  // The template a tenant's own image takes its VM settings (boot, platform) from when it names none; its disks are not used.
  IMAGE_BASE_TEMPLATE: z.string().trim().min(1).max(255).default('Debian Bookworm 12'),
  // Open console sessions per VM, across all API processes (the limit is checked when a token is issued and when it is used).
  CONSOLE_MAX_SESSIONS_PER_VM: z.coerce.number().int().min(1).max(1000).default(4),
  // The ws:// or wss:// origin clients reach the console gateway at (behind a proxy); default: the origin the request came to.
  CONSOLE_PUBLIC_URL: z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return ['ws:', 'wss:'].includes(u.protocol) && !u.search && !u.hash && !u.username;
      } catch {
        return false;
      }
    }, 'a ws:// or wss:// URL (an origin, optionally with a path prefix), without query or credentials')
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  // The built web console (apps/web/dist) served at /ui; default: beside the API in this checkout.
  WEB_UI_DIR: z.string().trim().min(1).optional(),
  // What everything is billed in (ISO 4217); required once prices exist, and usage before them is metered at zero in it.
  BILLING_CURRENCY: z.string().trim().refine(isNationalCurrency, 'an ISO 4217 national currency code, e.g. EUR').optional(),
  // Who bills, in FOCUS exports (ProviderName, InvoiceIssuerName, PublisherName, ServiceProviderName, HostProviderName).
  BILLING_PROVIDER_NAME: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\x20-\x7e]+$/, 'printable ASCII only')
    .default('xenplane'),
});

export type ApiConfig = z.output<typeof schema>;
export const API_CONFIG = Symbol('API_CONFIG');

/** The API's whole configuration; the only place it reads the environment. */
export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return exitOnConfigError(() => loadEnv(schema, env));
}
