// The worker's own metrics (the API's /metrics never shows them).
import { Counter, Gauge, Histogram } from 'prom-client';
import { registers } from '@xenplane/core';

export const jobDuration = new Histogram({
  name: 'xenplane_job_duration_seconds',
  help: 'Worker job run time by queue, job name and outcome',
  labelNames: ['queue', 'job', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers,
});

export const jobFailures = new Counter({
  name: 'xenplane_job_failures_total',
  help: 'Job attempts that threw, by queue, job name and error code',
  labelNames: ['queue', 'job', 'code'] as const,
  registers,
});

export const queueDepth = new Gauge({
  name: 'xenplane_queue_jobs',
  help: 'Jobs in each queue by state (sampled at scrape)',
  labelNames: ['queue', 'state'] as const,
  registers,
});

export const outboxPending = new Gauge({
  name: 'xenplane_outbox_pending',
  help: 'Outbox rows not yet handed to the queue (sampled at scrape)',
  registers,
});

export const xapiCallDuration = new Histogram({
  name: 'xenplane_xapi_call_duration_seconds',
  help: 'XAPI call latency by method and outcome',
  labelNames: ['method', 'outcome'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
  registers,
});

export const xapiCallErrors = new Counter({
  name: 'xenplane_xapi_call_errors_total',
  help: 'XAPI calls that failed, by method and error code',
  labelNames: ['method', 'code'] as const,
  registers,
});

export const reconcileDrift = new Counter({
  name: 'xenplane_reconcile_drift_total',
  help: 'Differences between XAPI and Postgres the reconciler found, by kind (power_changed, vanished, orphan)',
  labelNames: ['pool', 'kind'] as const,
  registers,
});

export const vmWatchers = new Gauge({
  name: 'xenplane_vm_watchers',
  help: 'XAPI event watchers this worker owns (one per pool across all workers)',
  registers,
});

export const vmWatchersSynced = new Gauge({
  name: 'xenplane_vm_watchers_synced',
  help: "Watchers of this worker that have folded their pool's first full view (hosts, VMs, guest metrics) into Postgres",
  registers,
});

export const dataplaneOwners = new Gauge({
  name: 'xenplane_dataplane_hosts_owned',
  help: 'Host OVS reconcilers this worker runs (one owner per host across all workers)',
  registers,
});

export const poolIdentityMismatch = new Gauge({
  name: 'xenplane_pool_identity_mismatch',
  help: 'Pools held because they answer with another pool uuid than registered (1 held, 0 checked and matching)',
  labelNames: ['pool'] as const,
  registers,
});
