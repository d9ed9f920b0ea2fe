// Public surface for in-process use (tests, the embedded default target).
export { startSimulator, type Simulator, type SimulatorOptions } from './sim/simulator.js';
export { SimState } from './sim/sim-state.js';
export { loadSimEnv, parseSimEnv, SimConfigError, type SimConfig } from './config/sim-env.js';
export { parseValueXml } from './wire/xml-rpc.js';
