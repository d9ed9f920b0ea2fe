import type { Logger } from 'pino';
import { backgroundErrors } from '../metrics/metrics.js';

/**
 * A `.catch` for background work that goes on past an error: the error is logged with context and counted in
 * xenplane_background_errors_total{task}, never dropped, and `fallback` is what the caller continues with.
 */
export function caught<T>(logger: Logger, task: string, fallback: T, fields: Record<string, unknown> = {}): (err: unknown) => T {
  return (err: unknown) => {
    backgroundErrors.inc({ task });
    logger.warn({ ...fields, task, err: err instanceof Error ? err.message : String(err) }, `${task} failed; carrying on`);
    return fallback;
  };
}
