// Process entry: config from the environment, start, log JSON lines, stop cleanly on SIGTERM/SIGINT.
import { loadSimEnv, SimConfigError, type SimConfig } from './config/sim-env.js';
import { createLogger } from './log/logger.js';
import { startSimulator } from './sim/simulator.js';

function configOrExit(): SimConfig {
  try {
    return loadSimEnv();
  } catch (e) {
    process.stderr.write(`xapi-sim: ${e instanceof SimConfigError ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

const config = configOrExit();
const log = createLogger(config.logLevel);
try {
  const sim = await startSimulator({ ...config, logger: log });
  const stop = (signal: string) => {
    log.info('xapi-sim stopping', { signal });
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
} catch (e) {
  process.stderr.write(`xapi-sim: cannot start: ${(e as Error).message}\n`);
  process.exit(1);
}
