// Exponential reconnect delays, capped and jittered so many clients do not reconnect in lockstep.

/** Backoff settings (all in milliseconds). */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Fraction of the delay randomised either way, 0..1. */
  jitter: number;
}

/** Defaults: 100 ms doubling up to 10 s, ±20 %. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0.2 };

/** Delay before reconnect attempt `attempt` (0-based); never above maxDelayMs, never negative. */
export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** Math.max(0, attempt));
  const jittered = base * (1 - o.jitter + 2 * o.jitter * random());
  return Math.max(0, Math.min(o.maxDelayMs, Math.round(jittered)));
}
