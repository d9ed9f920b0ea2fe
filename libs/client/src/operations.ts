import { OperationFailedError, WaitTimeoutError } from './errors.js';
import type { XenplaneClient } from './client.js';
import { openEventStream, type XenplaneEvent } from './events.js';
import type { components } from './schema.js';

export type Operation = components['schemas']['OperationView'];

export interface WaitOptions {
  /** Called on every change of status or step (and once at start). */
  onProgress?: (op: Operation) => void;
  timeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Follow the operation on the event stream (default); polling takes over if the stream cannot be used. false: poll only. */
  events?: boolean;
}

const ENDED = new Set(['succeeded', 'failed']);

/**
 * Waits for an operation to end: resolves when it succeeded, throws `OperationFailedError` when it failed. It follows
 * the event stream (one read of the operation per change it announces) and falls back to polling when the stream fails.
 */
export async function waitForOperation(client: XenplaneClient, id: string, options: WaitOptions = {}): Promise<Operation> {
  const { timeoutMs = 600_000 } = options;
  const deadline = Date.now() + timeoutMs;
  const progress = { seen: '' };
  if (options.events !== false) {
    const ended = await followOnStream(client, id, options, deadline, progress).catch((err: unknown) => {
      if (err instanceof OperationFailedError || err instanceof WaitTimeoutError || options.signal?.aborted) throw err;
      return undefined; // the stream failed: polling goes on from here
    });
    if (ended) return ended;
  }
  return poll(client, id, options, deadline, progress);
}

/** The operation's end as the stream announces it; undefined when the stream ended first. */
async function followOnStream(
  client: XenplaneClient,
  id: string,
  options: WaitOptions,
  deadline: number,
  progress: { seen: string },
): Promise<Operation | undefined> {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  options.signal?.addEventListener('abort', stop);
  const timer = setTimeout(stop, Math.max(0, deadline - Date.now()));
  try {
    // Opened before the first read: a change committed after that read is on the stream.
    const events = await openEventStream(client, { types: ['operation.'], signal: ctl.signal });
    const first = await look(client, id, options, progress, ctl.signal);
    if (first) return first;
    for await (const e of events as AsyncIterable<XenplaneEvent>) {
      if (e.resourceId !== id) continue;
      const done = await look(client, id, options, progress, ctl.signal);
      if (done) return done;
    }
    return undefined;
  } catch (err) {
    if (ctl.signal.aborted && !options.signal?.aborted) throw new WaitTimeoutError(id, options.timeoutMs ?? 600_000);
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
    ctl.abort();
  }
}

/** Reads the operation once, reports a change, and answers it if it ended. */
async function look(
  client: XenplaneClient,
  id: string,
  options: WaitOptions,
  progress: { seen: string },
  signal?: AbortSignal,
): Promise<Operation | undefined> {
  const { data: op } = await client.GET('/v1/operations/{id}', { params: { path: { id } }, signal });
  if (!op) throw new Error(`operation ${id}: empty answer`);
  const mark = `${op.status}|${op.step ?? ''}`;
  if (mark !== progress.seen) {
    progress.seen = mark;
    options.onProgress?.(op);
  }
  if (!ENDED.has(op.status)) return undefined;
  if (op.status === 'failed') throw new OperationFailedError(op);
  return op;
}

async function poll(client: XenplaneClient, id: string, options: WaitOptions, deadline: number, progress: { seen: string }): Promise<Operation> {
  const { timeoutMs = 600_000, intervalMs = 500 } = options;
  let seen = progress.seen;
  for (;;) {
    const { data: op } = await client.GET('/v1/operations/{id}', { params: { path: { id } }, signal: options.signal });
    if (!op) throw new Error(`operation ${id}: empty answer`);
    const mark = `${op.status}|${op.step ?? ''}`;
    if (mark !== seen) {
      seen = mark;
      options.onProgress?.(op);
    }
    if (ENDED.has(op.status)) {
      if (op.status === 'failed') throw new OperationFailedError(op);
      return op;
    }
    if (Date.now() + intervalMs > deadline) throw new WaitTimeoutError(id, timeoutMs);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
