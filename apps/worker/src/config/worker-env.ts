import { existsSync } from 'node:fs';
import { z } from 'zod';
import { baseEnv, exitOnConfigError, imageSpoolEnv, loadEnv, poolKeyEnv, port, userDataKeyEnv, webhookEnv, xapiEnv } from '@xenplane/core';

const pemFile = z.string().min(1).refine(existsSync, 'file not found');

export const workerEnvSchema = z
  .object({
    ...baseEnv,
    ...xapiEnv,
    ...poolKeyEnv,
    ...userDataKeyEnv,
    ...imageSpoolEnv,
    ...webhookEnv,
    // Webhook deliveries: a failed event is retried after BASE, doubling up to MAX apart, for FOR; then the webhook is failed.
    WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
    WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
    WEBHOOK_RETRY_FOR_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(30 * 86_400_000)
      .default(86_400_000),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    // Retries come due by this timer (new events wake the pass at once through NOTIFY events).
    WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    // How far back event streams (Last-Event-ID) and webhooks can catch up.
    EVENT_RETENTION_HOURS: z.coerce.number().int().min(1).max(8760).default(168),
    WORKER_PORT: port.default(3001),
    WORKER_HOST: z.string().min(1).default('0.0.0.0'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
      .default('xenplane'),
    POOL_SYNC_INTERVAL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    QUOTA_RECOUNT_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(300_000),
    // A client may replay an Idempotency-Key this long after its request ended; older keys are forgotten.
    // Host maintenance: how often draining hosts are looked at, and how many of a host's VMs move at once.
    EVACUATION_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
    EVACUATION_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(5),
    // How often the failure detector asks each pool's master which hosts are live (the grace is the pool's).
    HOST_FAILURE_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
    IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(1).max(8760).default(24),
    RECONCILE_CLAIM_INTERVAL_MS: z.coerce.number().int().min(200).max(600_000).default(5000),
    RECONCILE_SWEEP_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
    WORKER_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    OPERATION_SWEEP_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    JOB_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
    OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    XAPI_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
    XAPI_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    // Long enough for running jobs to finish their current XAPI step on SIGTERM.
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
    // vswitchd loses every flow when it restarts: this is how long such a host may run without them.
    OVS_CANARY_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
    OVS_SWEEP_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    // PEM files for hosts whose OVS endpoints are ssl: (OVSDB and OpenFlow); all three or none.
    OVS_SSL_KEY: pemFile.optional(),
    OVS_SSL_CERT: pemFile.optional(),
    OVS_SSL_CA: pemFile.optional(),
    // An hour is aggregated this long after it ends, so transitions committing late still land in it the first time.
    USAGE_GRACE_MS: z.coerce.number().int().min(0).max(86_400_000).default(120_000),
    USAGE_AGGREGATE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    VM_CLEAN_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  })
  .refine((e) => [e.OVS_SSL_KEY, e.OVS_SSL_CERT, e.OVS_SSL_CA].filter(Boolean).length % 3 === 0, {
    message: 'set all three of OVS_SSL_KEY, OVS_SSL_CERT and OVS_SSL_CA, or none',
    path: ['OVS_SSL_KEY'],
  });

export type WorkerConfig = z.output<typeof workerEnvSchema>;
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/** The worker's whole configuration; the only place it reads the environment. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  return exitOnConfigError(() => loadEnv(workerEnvSchema, env));
}
