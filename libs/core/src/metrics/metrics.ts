import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; every metric of ours is defined here so names stay consistent. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'xenplane_' });

const registers = [metricsRegistry];

export const httpRequestDuration = new Histogram({
  name: 'xenplane_http_request_duration_seconds',
  help: 'HTTP request latency by route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers,
});

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

export const rateLimitDecisions = new Counter({
  name: 'xenplane_rate_limit_decisions_total',
  help: 'Rate limit checks by outcome (allowed; limited: the key, tenant_limited: its tenant, address_limited: failed authentication from one address; failed_open when Redis did not answer)',
  labelNames: ['outcome'] as const,
  registers,
});
export const authFailures = new Counter({
  name: 'xenplane_auth_failures_total',
  help: 'Requests that failed authentication, by reason (missing, invalid) and answer (401, or 429 once the address was over its limit)',
  labelNames: ['reason', 'answer'] as const,
  registers,
});
export const auditWriteFailures = new Counter({ name: 'xenplane_audit_write_failures_total', help: 'Audit rows that could not be written (the request itself was answered)', registers });

export const quotaDrift = new Counter({ name: 'xenplane_quota_drift_total', help: 'Quota usage a recount corrected (absolute units), by resource', labelNames: ['resource'] as const, registers });

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

export const dataplaneReconciles = new Counter({
  name: 'xenplane_dataplane_reconciles_total',
  help: 'OVS reconcile passes per host by result (changed, unchanged, failed, skipped when the bridge or OVSDB view is not ready)',
  labelNames: ['host', 'result'] as const,
  registers,
});

export const dataplaneFlowChanges = new Counter({
  name: 'xenplane_dataplane_flow_changes_total',
  help: 'Flows the reconciler added or removed, and deletions it deferred because its view was partial',
  labelNames: ['host', 'change'] as const,
  registers,
});

export const dataplaneDrift = new Counter({
  name: 'xenplane_dataplane_drift_total',
  help: 'Differences between OVS and the desired state found by the reconciler (canary_missing, flows, bridge, tunnels)',
  labelNames: ['host', 'kind'] as const,
  registers,
});

export const dataplaneReconcileDuration = new Histogram({
  name: 'xenplane_dataplane_reconcile_seconds',
  help: 'Duration of one host reconcile pass (read desired state, OVSDB, flow diff and bundle apply)',
  labelNames: ['host'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

export const dataplanePorts = new Gauge({
  name: 'xenplane_dataplane_ports',
  help: 'Our VIFs on a host bridge: bound (flows installed) or pending (plugged, no ofport yet)',
  labelNames: ['host', 'state'] as const,
  registers,
});

export const dataplaneOwners = new Gauge({
  name: 'xenplane_dataplane_hosts_owned',
  help: 'Host OVS reconcilers this worker runs (one owner per host across all workers)',
  registers,
});
