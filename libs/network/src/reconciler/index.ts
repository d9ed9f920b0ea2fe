export * from './dataplane.types.js';
export * from './desired-state.js';
export * from './ovs-topology.js';
export * from './host-reconciler.js';
export * from './provider-topology.js';
