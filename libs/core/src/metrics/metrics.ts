import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process. A metric is defined beside the code that moves it (apps/api, apps/worker, libs/network),
 * so a process exports only the metrics it can move; names all start with `xenplane_`.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'xenplane_' });
// prom-client also names three gauges `_total` (beside the same gauges without it), which Prometheus reserves for
// counters: promtool check metrics refuses them.
for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
  metricsRegistry.removeSingleMetric(`xenplane_nodejs_${name}`);

/** Where every metric of ours registers. */
export const registers = [metricsRegistry];

export const quotaDrift = new Counter({
  name: 'xenplane_quota_drift_total',
  help: 'Quota usage a recount corrected (absolute units), by resource',
  labelNames: ['resource'] as const,
  registers,
});

export const backgroundErrors = new Counter({
  name: 'xenplane_background_errors_total',
  help: 'Errors background work (claims, syncs, listeners, scrape sampling, best-effort look-ups) met, logged and got past, by task',
  labelNames: ['task'] as const,
  registers,
});
