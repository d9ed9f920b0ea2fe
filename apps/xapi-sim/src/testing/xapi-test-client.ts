// Minimal XAPI clients for the simulator's own tests: raw JSON-RPC and XML-RPC over keep-alive node:http.
import http from 'node:http';
import type { Value } from '../datamodel/defaults.js';
import { encodeUntyped, type Wire } from '../wire/wire-value.js';
import { parseMethodResponse, renderMethodCall } from '../wire/xml-rpc.js';

// fetch (undici) costs milliseconds per call in-process; a keep-alive agent keeps the suites fast.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url: string, type: string, body: string): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export class XapiCallError extends Error {
  constructor(
    readonly code: string,
    readonly params: unknown[],
  ) {
    super(`${code} ${JSON.stringify(params)}`);
  }
}

export interface Transport {
  call(method: string, ...params: unknown[]): Promise<any>;
}

export class JsonRpc implements Transport {
  private id = 0;

  constructor(
    readonly url: string,
    readonly version: '1.0' | '2.0' = '2.0',
  ) {}

  async raw(body: unknown): Promise<{ status: number; type: string; json: any }> {
    const res = await post(`${this.url}/jsonrpc`, 'application/json', JSON.stringify(body));
    return { status: res.status, type: res.type, json: res.status === 200 ? JSON.parse(res.text) : res.text };
  }

  async call(method: string, ...params: unknown[]): Promise<any> {
    const body = this.version === '2.0' ? { jsonrpc: '2.0', method, params, id: ++this.id } : { method, params, id: ++this.id };
    const { json } = await this.raw(body);
    if (this.version === '2.0') {
      if (json.error) throw new XapiCallError(json.error.message, json.error.data);
      return json.result;
    }
    if (json.error) throw new XapiCallError(json.error[0], json.error.slice(1));
    return json.result;
  }
}

// Encodes ints as strings, as XAPI clients must (XO, the Python SDK with str()).
function toWire(v: unknown): Wire {
  if (typeof v === 'number' && Number.isInteger(v)) return { t: 'str', v: String(v) };
  if (Array.isArray(v)) return { t: 'arr', v: v.map(toWire) };
  if (typeof v === 'object' && v !== null) return { t: 'struct', v: Object.entries(v).map(([k, x]) => [k, toWire(x)]) };
  return encodeUntyped(v as Value);
}

export class XmlRpc implements Transport {
  constructor(
    readonly url: string,
    readonly path = '/',
  ) {}

  async raw(xml: string): Promise<{ status: number; type: string; text: string }> {
    return post(`${this.url}${this.path}`, 'text/xml', xml);
  }

  async rawCall(method: string, ...params: unknown[]): Promise<string> {
    return (await this.raw(renderMethodCall(method, params.map(toWire)))).text;
  }

  async call(method: string, ...params: unknown[]): Promise<any> {
    const envelope = parseMethodResponse(await this.rawCall(method, ...params)) as Record<string, any>;
    if (envelope.Status === 'Success') return envelope.Value;
    const [code, ...rest] = envelope.ErrorDescription as string[];
    throw new XapiCallError(code, rest);
  }
}

// Runs fn and returns the XAPI error it raised (fails the test if it did not raise one).
export async function xapiError(fn: () => Promise<unknown>): Promise<XapiCallError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof XapiCallError) return e;
    throw e;
  }
  throw new Error('expected a XAPI error, the call succeeded');
}

export async function login(t: Transport): Promise<string> {
  return t.call('session.login_with_password', 'root', 'xenroot', '1.0', 'xapi-sim-tests');
}

// Polls a task until it leaves pending, then returns its record.
export async function waitTask(t: Transport, session: string, task: string, timeoutMs = 5000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rec = await t.call('task.get_record', session, task);
    if (rec.status !== 'pending' && rec.status !== 'cancelling') return rec;
    if (Date.now() > deadline) throw new Error(`task ${task} still ${rec.status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function templateRef(t: Transport, session: string, name = 'Debian Bookworm 12'): Promise<string> {
  const refs: string[] = await t.call('VM.get_by_name_label', session, name);
  if (refs.length !== 1) throw new Error(`template ${name}: ${refs.length} matches`);
  return refs[0];
}

export async function control(url: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}/sim/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// Conformance tests run each case over both wire protocols xapi serves.
export const transports: ReadonlyArray<readonly [string, (url: string) => Transport]> = [
  ['XML-RPC', (url) => new XmlRpc(url)],
  ['JSON-RPC', (url) => new JsonRpc(url)],
];

// A Halted, provisioned VM from a template (one system disk), as a client makes one.
export async function newVm(t: Transport, session: string, name: string, template = 'Debian Bookworm 12'): Promise<string> {
  const vm: string = await t.call('VM.clone', session, await templateRef(t, session, template), name);
  await t.call('VM.provision', session, vm);
  return vm;
}

// A token past everything `classes` can see now: xapi's token is the last generation among the objects a
// subscription saw (xapi_event.ml), so "" then event.from until a batch comes back empty.
export async function eventToken(t: Transport, session: string, classes: string[]): Promise<string> {
  let batch = await t.call('event.from', session, classes, '', 0);
  while (batch.events.length > 0) batch = await t.call('event.from', session, classes, batch.token, 0);
  return batch.token;
}
