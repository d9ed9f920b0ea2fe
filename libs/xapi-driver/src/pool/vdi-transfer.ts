import http from 'node:http';
import https from 'node:https';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { XapiClient } from '../client/xapi-client.js';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';

/** Disk image formats of `/import_raw_vdi` and `/export_raw_vdi` (qcow2 only where xapi has it: xen-api PR #6593). */
export type VdiFormat = 'raw' | 'vhd' | 'qcow2';

export interface ImportVdiOptions {
  format?: VdiFormat;
  /** Bytes the source holds, sent as Content-Length (XAPI refuses Transfer-Encoding: chunked uploads) */
  length: number;
  taskTimeoutMs?: number;
}

export interface ExportVdiOptions {
  format?: VdiFormat;
  /** Only what differs from this VDI (a delta: for VHD the changed blocks, for raw unchanged blocks read as zeros) */
  baseRef?: string;
  taskTimeoutMs?: number;
}

function request(method: 'PUT' | 'GET', url: URL, agent: http.Agent, headers: Record<string, string>): http.ClientRequest {
  return (url.protocol === 'https:' ? https : http).request(url, { method, agent, headers });
}

function endpointUrl(master: URL, path: string, query: Record<string, string>): URL {
  const u = new URL(path, master);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u;
}

// The task's own error when it has one (XAPI fails it before answering 404/400), else the HTTP status.
async function failure(client: XapiClient, task: string, what: string, status: number | undefined, cause?: unknown): Promise<never> {
  const rec = await client.call<{ status: string; error_info: string[] }>('task.get_record', task).catch(() => undefined);
  await client.call('task.destroy', task).catch(() => undefined);
  if (rec && rec.status === 'failure' && rec.error_info.length) throw XapiError.fromDescription(rec.error_info, what);
  throw new XapiTransportError(
    status === undefined ? 'connection' : 'http',
    status === undefined ? `transfer failed: ${String((cause as Error)?.message ?? cause)}` : `HTTP ${status}`,
    what,
    { status, cause },
  );
}

/**
 * Streams `source` into the VDI over `PUT /import_raw_vdi` (bounded memory: the body is piped with backpressure)
 * and resolves once XAPI's task for it succeeded; a failed task rejects with its XapiError (e.g. VDI_IO_ERROR).
 */
export async function importVdi(client: XapiClient, vdiRef: string, source: Readable, opts: ImportVdiOptions): Promise<void> {
  const format = opts.format ?? 'raw';
  if (!Number.isSafeInteger(opts.length) || opts.length < 0) throw new TypeError('importVdi needs the byte length of the source');
  const what = 'VDI.import_raw_vdi';
  const { master, session, agent } = await client.httpEndpoint();
  const task = await client.call<string>('task.create', `xenplane import ${format}`, vdiRef);
  const query: Record<string, string> = { session_id: session, vdi: vdiRef, task_id: task, format };
  const req = request('PUT', endpointUrl(master, '/import_raw_vdi', query), agent, {
    'content-type': 'application/octet-stream',
    'content-length': String(opts.length),
  });
  const answered = new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
  const sent = pipeline(source, req).catch((e: unknown) => e);
  let res: http.IncomingMessage;
  try {
    res = await answered;
  } catch (e) {
    return failure(client, task, what, undefined, e);
  }
  if (res.statusCode !== 200) {
    res.resume();
    req.destroy();
    return failure(client, task, what, res.statusCode);
  }
  const ended = new Promise<void>((resolve) => res.once('close', resolve).once('end', resolve)).then(() => undefined);
  res.resume();
  const sendError = await sent;
  await ended;
  if (sendError instanceof Error && !(await taskDone(client, task))) return failure(client, task, what, undefined, sendError);
  await client.awaitTask(task, what, { taskTimeoutMs: opts.taskTimeoutMs });
}

async function taskDone(client: XapiClient, task: string): Promise<boolean> {
  const status = await client.call<string>('task.get_status', task).catch(() => 'pending');
  return status !== 'pending';
}

/**
 * The VDI's content from `GET /export_raw_vdi` as a stream (consumed with backpressure, so memory stays bounded);
 * it ends only once XAPI's task succeeded, and errors with the task's XapiError otherwise.
 */
export async function exportVdi(client: XapiClient, vdiRef: string, opts: ExportVdiOptions = {}): Promise<Readable> {
  const format = opts.format ?? 'raw';
  const what = 'VDI.export_raw_vdi';
  const { master, session, agent } = await client.httpEndpoint();
  const task = await client.call<string>('task.create', `xenplane export ${format}`, vdiRef);
  const query: Record<string, string> = { session_id: session, vdi: vdiRef, task_id: task, format };
  if (opts.baseRef) query.base = opts.baseRef;
  const req = request('GET', endpointUrl(master, '/export_raw_vdi', query), agent, {});
  let res: http.IncomingMessage;
  try {
    res = await new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject).end());
  } catch (e) {
    return failure(client, task, what, undefined, e);
  }
  if (res.statusCode !== 200) {
    res.resume();
    return failure(client, task, what, res.statusCode);
  }
  // A pass-through, not an async iterator: the response's chunks go on as they are, never concatenated or re-buffered.
  const out = new Transform({
    transform: (chunk: Buffer, _enc, done) => done(null, chunk),
    flush: (done) => void client.awaitTask(task, what, { taskTimeoutMs: opts.taskTimeoutMs }).then(() => done(), done),
  });
  res.once('error', (e: unknown) => {
    void taskDone(client, task)
      .then((ended) => (ended ? client.awaitTask(task, what, { taskTimeoutMs: opts.taskTimeoutMs }) : failure(client, task, what, undefined, e)))
      .then(
        () => out.end(),
        (err: Error) => out.destroy(err),
      );
  });
  out.once('close', () => res.destroy()); // a reader that goes away closes the pool's connection too
  res.pipe(out);
  return out;
}
