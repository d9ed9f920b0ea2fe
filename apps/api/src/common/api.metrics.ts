// The API's own metrics (its /metrics never shows the worker's).
import { Counter, Gauge, Histogram } from 'prom-client';
import { registers } from '@xenplane/core';

export const httpRequestDuration = new Histogram({
  name: 'xenplane_http_request_duration_seconds',
  help: 'HTTP request latency by route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
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

export const auditWriteFailures = new Counter({
  name: 'xenplane_audit_write_failures_total',
  help: 'Audit rows that could not be written (the request itself was answered)',
  registers,
});

export const consoleSessionsOpen = new Gauge({
  name: 'xenplane_console_sessions_open',
  help: 'Console sessions this API process is relaying now',
  registers,
});

export const consoleConnects = new Counter({
  name: 'xenplane_console_connects_total',
  help: 'Console WebSocket connections by outcome (opened, or the problem code they were refused with)',
  labelNames: ['outcome'] as const,
  registers,
});
