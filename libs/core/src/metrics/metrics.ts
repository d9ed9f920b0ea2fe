import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process. A metric is defined beside the code that moves it (apps/api, apps/worker, libs/network),
 * so a process exports only the metrics it can move; names all start with `xenplane_`.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'xenplane_' });
// prom-client names three gauges `_total`, which Prometheus reserves for counters (promtool check metrics fails).
for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) metricsRegistry.removeSingleMetric(`xenplane_nodejs_${name}`);
new Gauge({
  name: 'xenplane_nodejs_active_resources',
  help: 'Resources keeping the event loop alive (process.getActiveResourcesInfo)',
  registers: [metricsRegistry],
  collect() {
    this.set(process.getActiveResourcesInfo().length);
  },
});

/** Where every metric of ours registers. */
export const registers = [metricsRegistry];

export const quotaDrift = new Counter({ name: 'xenplane_quota_drift_total', help: 'Quota usage a recount corrected (absolute units), by resource', labelNames: ['resource'] as const, registers });

