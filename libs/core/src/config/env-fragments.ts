import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}`,
  );

export const port = z.coerce.number().int().min(0).max(65535);
export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** Variables every process of ours reads (DESIGN.md run contract). */
export const baseEnv = {
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/xenplane'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  LOG_LEVEL: logLevel.default('info'),
};

/** The pool registered at start (default: the embedded simulator). */
export const xapiEnv = {
  XAPI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8090'),
  XAPI_USERNAME: z.string().min(1).default('root'),
  XAPI_PASSWORD: z.string().min(1).default('xenroot'),
};

export const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** 32 random bytes, base64: encrypts registered pools' passwords at rest (`openssl rand -base64 32`). */
export const poolKeyEnv = {
  POOL_ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
};

/** 32 random bytes, base64: seals tenants' user-data at rest (API seals, workers open to build config drives). */
export const userDataKeyEnv = {
  USER_DATA_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
};

/**
 * Where accepted image uploads wait for the worker that imports them (docs/ARCHITECTURE.md, "Images"): the API and
 * every worker must see the same directory (a shared volume when they run on different machines).
 */
export const imageSpoolEnv = {
  IMAGE_SPOOL_DIR: z.string().trim().min(1).default(join(tmpdir(), 'xenplane-image-spool')),
};

/** Webhooks (issue 19): a receiver's address must be public unless the operator allows private ones (tests, labs). */
export const webhookEnv = {
  WEBHOOK_ALLOW_PRIVATE: booleanFlag.default(false),
};
