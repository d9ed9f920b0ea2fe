import { baseEnv, exitOnConfigError, loadEnv } from '@xenplane/core';
import { z } from 'zod';
import { migrate } from './migrate.js';

const env = exitOnConfigError(() => loadEnv(z.object({ DATABASE_URL: baseEnv.DATABASE_URL }), process.env));
try {
  const applied = await migrate(env.DATABASE_URL);
  console.log(JSON.stringify({ level: 'info', msg: 'migrations applied', applied }));
} catch (err) {
  console.error(JSON.stringify({ level: 'error', msg: 'migration failed', error: (err as Error).message }));
  process.exit(1);
}
