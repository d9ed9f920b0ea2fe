// The simulator's only reader of process.env: validates every SIM_* variable and LOG_LEVEL at start.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LOG_SETTINGS, type LogSetting } from '../log/logger.js';
import { apiReleases, DEFAULT_API_VERSION } from '../datamodel/api-versions.js';

// <repo>/data/xapi-sim (compiled into apps/xapi-sim/dist/config/): the project's data folder, ignored by git.
export const defaultDataDir = fileURLToPath(new URL('../../../../data/xapi-sim', import.meta.url));

const int = (name: string, min: number, max: number, fallback: number) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? fallback : v),
    z.coerce
      .number({ error: `${name} must be a number` })
      .int(`${name} must be an integer`)
      .min(min, `${name} must be >= ${min}`)
      .max(max, `${name} must be <= ${max}`),
  );

const text = (fallback: string) => z.preprocess((v) => (v === undefined || v === '' ? fallback : v), z.string());

const bool = (name: string, fallback: boolean) =>
  z
    .preprocess((v) => (v === undefined || v === '' ? String(fallback) : v), z.enum(['true', 'false'], { error: `${name} must be true or false` }))
    .transform((v) => v === 'true');

const schema = z.object({
  SIM_PORT: int('SIM_PORT', 0, 65535, 8090),
  SIM_HOST: text('127.0.0.1').pipe(z.string().regex(/^[A-Za-z0-9.:_-]+$/, 'SIM_HOST must be a bind address')),
  SIM_USERNAME: text('root').pipe(z.string().min(1)),
  SIM_PASSWORD: text('xenroot'),
  SIM_HOSTS: int('SIM_HOSTS', 1, 64, 2),
  SIM_NETWORK: text('none').pipe(z.enum(['none', 'ovs'], { error: 'SIM_NETWORK must be "none" or "ovs"' })),
  SIM_SEED: int('SIM_SEED', 0, 2 ** 32 - 1, 1),
  SIM_SESSION_TTL_SECONDS: int('SIM_SESSION_TTL_SECONDS', 1, 10 * 365 * 86400, 86400),
  SIM_JSONRPC: bool('SIM_JSONRPC', true),
  SIM_PREPOPULATE_VMS: int('SIM_PREPOPULATE_VMS', 0, 100_000, 0),
  SIM_SR_GIB: int('SIM_SR_GIB', 1, 1024 * 1024, 2048),
  SIM_DATA_DIR: text(defaultDataDir).pipe(z.string().min(1)),
  SIM_RESET: z
    .preprocess(
      (v) => (v === undefined || v === '' ? '0' : v),
      z.enum(['0', '1', 'true', 'false'], { error: 'SIM_RESET must be 1, 0, true or false' }),
    )
    .transform((v) => v === '1' || v === 'true'),
  SIM_API_VERSION: text(DEFAULT_API_VERSION).pipe(
    z.enum(Object.keys(apiReleases) as [string, ...string[]], { error: `SIM_API_VERSION must be one of ${Object.keys(apiReleases).join(', ')}` }),
  ),
  LOG_LEVEL: text('info').pipe(z.enum(LOG_SETTINGS, { error: `LOG_LEVEL must be one of ${LOG_SETTINGS.join(', ')}` })),
});

export interface SimConfig {
  port: number;
  host: string;
  username: string;
  password: string;
  hosts: number;
  network: 'none' | 'ovs';
  seed: number;
  sessionTtlSeconds: number;
  jsonRpc: boolean;
  prepopulateVms: number;
  srGiB: number; // size of each seeded SR: 2048 holds about 200 ten-GiB clones, scale runs need more
  dataDir: string; // the pool (pool.json, pool.journal) and disk contents (vdis/<vdi uuid>)
  reset: boolean;
  apiVersion: string;
  logLevel: LogSetting;
}

export class SimConfigError extends Error {}

export function parseSimEnv(env: Record<string, string | undefined>): SimConfig {
  const r = schema.safeParse(env);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new SimConfigError(`invalid environment: ${issues.join('; ')}`);
  }
  const e = r.data;
  return {
    port: e.SIM_PORT,
    host: e.SIM_HOST,
    username: e.SIM_USERNAME,
    password: e.SIM_PASSWORD,
    hosts: e.SIM_HOSTS,
    network: e.SIM_NETWORK,
    seed: e.SIM_SEED,
    sessionTtlSeconds: e.SIM_SESSION_TTL_SECONDS,
    jsonRpc: e.SIM_JSONRPC,
    prepopulateVms: e.SIM_PREPOPULATE_VMS,
    srGiB: e.SIM_SR_GIB,
    dataDir: e.SIM_DATA_DIR,
    reset: e.SIM_RESET,
    apiVersion: e.SIM_API_VERSION,
    logLevel: e.LOG_LEVEL,
  };
}

export function loadSimEnv(): SimConfig {
  return parseSimEnv(process.env);
}
