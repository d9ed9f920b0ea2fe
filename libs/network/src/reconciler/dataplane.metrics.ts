// The OVS reconciler's metrics, exported by the worker that runs it.
import { Counter, Gauge, Histogram } from 'prom-client';
import { registers } from '@xenplane/core';

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
