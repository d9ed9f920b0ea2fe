import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { canonicalClass, xapiFloat } from '../datamodel/value-normaliser.js';
import type { CallOptions } from '../client/xapi-client.options.js';
import { abortableSleep as sleep } from '../util/abortable-sleep.js';

/** What the watcher needs from the client. */
export interface EventCaller {
  callWith<T = unknown>(method: string, params: readonly unknown[], options?: CallOptions): Promise<T>;
}

/** A full snapshot of one class (at start and after every restart), or one change. */
export type XapiWatchEvent =
  | { kind: 'sync'; class: string; records: Record<string, Record<string, unknown>> }
  | { kind: 'add' | 'mod' | 'del'; class: string; ref: string; snapshot?: Record<string, unknown> };

/** Tuning of `watchEvents`. */
export interface WatchEventsOptions {
  /** event.from long-poll timeout in seconds, default 30 */
  pollTimeoutS?: number;
  /** Told about errors that caused a restart (for logs); the watcher keeps going */
  onError?: (e: unknown) => void;
  /** Longest pause between restarts after errors, default 30 000 ms */
  maxBackoffMs?: number;
}

interface EventBatch {
  token: string;
  events: Array<{ class: string; operation: string; ref: string; snapshot?: Record<string, unknown> }>;
}

// after these the token is worthless: start over with inject + full fetch, without waiting
const RESTART_NOW = new Set(['EVENTS_LOST', 'SESSION_INVALID', 'EVENT_FROM_TOKEN_PARSE_FAILURE']);

/**
 * Follows `classes` through `event.inject` (starting token) + `<class>.get_all_records` + an `event.from` loop,
 * so no change between the snapshot and the first batch is missed. Errors from `onEvent` end the watch.
 */
export async function watchEvents(
  client: EventCaller,
  classes: string[],
  onEvent: (e: XapiWatchEvent) => void | Promise<void>,
  signal: AbortSignal,
  options: WatchEventsOptions = {},
): Promise<void> {
  const pollTimeoutS = options.pollTimeoutS ?? 30;
  const names = classes.map(canonicalClass);
  let backoffMs = 0;
  while (!signal.aborted) {
    try {
      const [poolRef] = await client.callWith<string[]>('pool.get_all', [], { signal });
      let token = await client.callWith<string>('event.inject', ['pool', poolRef], { signal });
      for (const cls of names) {
        const records = await client.callWith<Record<string, Record<string, unknown>>>(`${cls}.get_all_records`, [], { signal });
        await deliver(onEvent, { kind: 'sync', class: cls, records });
      }
      for (;;) {
        const batch = await client.callWith<EventBatch>('event.from', [names, token, xapiFloat(pollTimeoutS + 0.1)], {
          signal,
          unlimited: true,
          silent: true,
          timeoutMs: (pollTimeoutS + 30) * 1000,
        });
        token = batch.token;
        backoffMs = 0;
        for (const ev of batch.events ?? []) {
          const kind = ev.operation === 'add' || ev.operation === 'del' ? ev.operation : 'mod';
          const change: XapiWatchEvent = { kind, class: canonicalClass(ev.class), ref: ev.ref };
          if (kind !== 'del' && ev.snapshot) change.snapshot = ev.snapshot;
          await deliver(onEvent, change);
        }
      }
    } catch (e) {
      if (e instanceof HandlerError) throw e.cause;
      if (signal.aborted) return;
      options.onError?.(e);
      if (e instanceof XapiError && RESTART_NOW.has(e.code)) continue;
      if (!(e instanceof XapiError) && !(e instanceof XapiTransportError)) throw e;
      backoffMs = Math.min(options.maxBackoffMs ?? 30_000, Math.max(500, backoffMs * 2));
      await sleep(backoffMs, signal);
    }
  }
}

// distinguishes the caller's handler failures from XAPI failures
class HandlerError extends Error {}

async function deliver(onEvent: (e: XapiWatchEvent) => void | Promise<void>, e: XapiWatchEvent): Promise<void> {
  try {
    await onEvent(e);
  } catch (cause) {
    throw new HandlerError('event handler failed', { cause });
  }
}
