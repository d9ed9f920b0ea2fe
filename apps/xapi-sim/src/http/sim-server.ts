// node:http front: /jsonrpc is JSON-RPC, /sim/ the control API, any other POST path XML-RPC (xapi's prefix match).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { handleControl } from '../control/control-routes.js';
import type { Dispatcher, Outcome } from '../rpc/dispatcher.js';
import type { SimState } from '../sim/sim-state.js';
import { findHttpHandler } from './http-handlers.js';
import { parseJsonCall, renderJsonFailure, renderJsonSuccess } from '../wire/json-rpc.js';
import { MalformedRequest, parseMethodCall, renderFailure, renderSuccess, type MethodCall } from '../wire/xml-rpc.js';

const maxBody = 64 * 1024 * 1024;
const errorPage = '<html><body><h1>HTTP 500 internal server error</h1>The server could not process this request.</body></html>';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) reject(new MalformedRequest('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const fail500 = (res: ServerResponse) => send(res, 500, 'text/html', errorPage);

async function counted(sim: SimState, method: string, run: () => Promise<Outcome>): Promise<Outcome> {
  sim.stats.begin(method);
  try {
    return await run();
  } finally {
    sim.stats.end();
  }
}

async function rpc(sim: SimState, dispatcher: Dispatcher, req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<void> {
  const localAddress = req.socket.localAddress ?? '';
  const jsonPath = path.startsWith('/jsonrpc');
  if (jsonPath && sim.control.jsonRpc) {
    const call = parseJsonCall(body);
    const out = await counted(sim, call.method, () => dispatcher.call(call.method, call.params, { transport: 'jsonrpc', localAddress }));
    if (out.kind === 'http500') return fail500(res);
    return send(res, 200, 'application/json', out.kind === 'ok' ? renderJsonSuccess(call, out.wire) : renderJsonFailure(call, out.description));
  }
  let call: MethodCall;
  try {
    call = parseMethodCall(body);
  } catch (e) {
    // An old host (no JSON-RPC): /jsonrpc lands on / and answers 200 text/xml, which is how clients detect it (xapi.md §1.1).
    if (jsonPath && e instanceof MalformedRequest) return send(res, 200, 'text/xml', renderFailure(['INTERNAL_ERROR', 'not an XML-RPC methodCall']));
    throw e;
  }
  const out = await counted(sim, call.method, () => dispatcher.call(call.method, call.params, { transport: 'xmlrpc', localAddress }));
  if (out.kind === 'http500') return fail500(res);
  return send(res, 200, 'text/xml', out.kind === 'ok' ? renderSuccess(out.wire) : renderFailure(out.description));
}

export function createSimHandler(sim: SimState, dispatcher: Dispatcher): RequestListener {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    const handler = findHttpHandler(req.method, path);
    if (handler) return handler(sim, req, req.socket, Buffer.alloc(0));
    void (async () => {
      try {
        const body = await readBody(req);
        if (path.startsWith('/sim/')) return await handleControl(sim, dispatcher, req, res, path, body);
        if (req.method !== 'POST') return send(res, 200, 'text/html', '<html><body>xapi-sim: a simulated XAPI pool master</body></html>');
        return await rpc(sim, dispatcher, req, res, path, body);
      } catch (e) {
        if (!(e instanceof MalformedRequest)) sim.log.error('request failed', { path, error: String((e as Error)?.stack ?? e) });
        if (!res.headersSent) fail500(res);
        else res.destroy();
      }
    })();
  };
}
