export * from './types.js';
export * from './cookie.js';
export { compareFlows, flowText, parseMatch } from './flow-text.js';
export { FlowTable, generateFlows, generateFlowText } from './flow-generator.js';
export { validateFlowState } from './validate-state.js';
export { applyFlows, checkCanary, dumpOwnFlows, parseFlowDiff, planFlows } from './flow-applier.js';
export type { ApplyResult, FlowPatch } from './flow-applier.js';
export { OfctlError, bridgeTarget, execOfctl } from './ofctl.js';
export type { OfctlOptions, OfctlRunner, OvsSslFiles } from './ofctl.js';
