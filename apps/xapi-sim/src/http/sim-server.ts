// node:http front: /sim/ is the control API; everything else goes through xapi's handler table (http-routes.ts),
// where the RPC endpoints are registered here: POST / /RPC2 /json (XML-RPC), /jsonrpc (JSON-RPC), OPTIONS, GET /.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { handleControl } from '../control/control-routes.js';
import type { Dispatcher, Outcome } from '../rpc/dispatcher.js';
import type { SimState } from '../sim/sim-state.js';
import { parseJsonCall, renderJsonFailure, renderJsonSuccess } from '../wire/json-rpc.js';
import { MalformedRequest, parseMethodCall, renderBare, renderFailure, renderSuccess, type MethodCall } from '../wire/xml-rpc.js';
import {
  answerForbidden,
  answerForbiddenRaw,
  answerMissing,
  answerNotImplemented,
  type HttpHandler,
  type HttpRoutes,
  type TunnelHandler,
} from './http-routes.js';

const maxBody = 64 * 1024 * 1024;
const errorPage = '<html><body><h1>HTTP 500 internal server error</h1>The server could not process this request.</body></html>';
const banner = '<html><body>xapi-sim: a simulated XAPI pool master</body></html>';

export function readBody(req: IncomingMessage): Promise<string> {
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

async function counted(sim: SimState, method: string, params: readonly unknown[], run: () => Promise<Outcome>): Promise<Outcome> {
  sim.stats.begin(method, params);
  try {
    return await run();
  } finally {
    sim.stats.end();
  }
}

function jsonRpc(sim: SimState, dispatcher: Dispatcher): HttpHandler {
  return async (req, res) => {
    if (!sim.control.jsonRpc) return xmlRpc(sim, dispatcher, true)(req, res); // a host without it: "/" catches the path
    const call = parseJsonCall(await readBody(req));
    const localAddress = req.socket.localAddress ?? '';
    const out = await counted(sim, call.method, call.params, () => dispatcher.call(call.method, call.params, { transport: 'jsonrpc', localAddress }));
    if (out.kind === 'http500') return fail500(res);
    return send(res, 200, 'application/json', out.kind === 'ok' ? renderJsonSuccess(call, out.wire) : renderJsonFailure(call, out.description));
  };
}

function xmlRpc(sim: SimState, dispatcher: Dispatcher, jsonPath = false): HttpHandler {
  return async (req, res) => {
    let call: MethodCall;
    try {
      call = parseMethodCall(await readBody(req));
    } catch (e) {
      // An old host (no JSON-RPC): /jsonrpc lands on / and answers 200 text/xml, which is how clients detect it (xapi.md §1.1).
      if (jsonPath && e instanceof MalformedRequest)
        return send(res, 200, 'text/xml', renderFailure(['INTERNAL_ERROR', 'not an XML-RPC methodCall']));
      throw e;
    }
    const localAddress = req.socket.localAddress ?? '';
    const out = await counted(sim, call.method, call.params, () => dispatcher.call(call.method, call.params, { transport: 'xmlrpc', localAddress }));
    if (out.kind === 'http500') return fail500(res);
    return send(
      res,
      200,
      'text/xml',
      out.kind === 'ok' ? (out.bare ? renderBare(out.wire) : renderSuccess(out.wire)) : renderFailure(out.description),
    );
  };
}

// http_svr.ml respond_to_options
const options: HttpHandler = (req, res) => {
  const asked = req.headers['access-control-request-headers'];
  res.writeHead(200, {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': asked ? `${String(asked)}, X-Requested-With` : 'X-Requested-With',
    'access-control-allow-methods': 'PUT',
    'content-length': 0,
  });
  res.end();
};

export function registerRpcRoutes(routes: HttpRoutes, sim: SimState, dispatcher: Dispatcher): HttpRoutes {
  for (const name of ['post_root', 'post_RPC2', 'post_json']) routes.register(name, xmlRpc(sim, dispatcher));
  routes.register('post_jsonrpc', jsonRpc(sim, dispatcher));
  for (const name of ['post_root_options', 'post_json_options', 'post_jsonrpc_options']) routes.register(name, options);
  // fileserver.ml send_file: the web page at /, and its 404 page for anything it does not have
  const root: HttpHandler = (req, res) =>
    new URL(req.url ?? '/', 'http://sim').pathname === '/' ? send(res, 200, 'text/html', banner) : answerMissing(res, req.url ?? '/');
  return routes.register('get_root', root);
}

export interface SimHandlers {
  request: RequestListener;
  tunnel: TunnelHandler; // node's 'connect' and 'upgrade' events
}

export function createSimHandler(sim: SimState, dispatcher: Dispatcher, routes: HttpRoutes): SimHandlers {
  const takeOver = (run: TunnelHandler, req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void Promise.resolve(run(req, socket, head)).catch((e: Error) => {
      sim.log.error('connection handler failed', { url: req.url, error: String(e?.stack ?? e) });
      socket.destroy();
    });
  };
  const request: RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    void (async () => {
      try {
        if (path.startsWith('/sim/')) return await handleControl(sim, dispatcher, req, res, path, await readBody(req));
        const route = routes.resolve(req.method ?? 'GET', path);
        if (route === 'no-method') return answerNotImplemented(res, req.method ?? '');
        if (!route) return answerForbidden(res);
        if (route.tunnel) return takeOver(route.tunnel, req, req.socket, Buffer.alloc(0)); // e.g. GET /console without an upgrade
        await route.handler(req, res);
      } catch (e) {
        if (!(e instanceof MalformedRequest)) sim.log.error('request failed', { path, error: String((e as Error)?.stack ?? e) });
        if (!res.headersSent) fail500(res);
        else res.destroy();
      }
    })();
  };
  // CONNECT, or an Upgrade request: only an action that owns its connection can answer one (else http_svr's 403).
  const tunnel: TunnelHandler = (req, socket, head) => {
    socket.on('error', () => socket.destroy()); // a client gone mid-answer is not the simulator's failure
    const route = routes.resolve(req.method ?? 'GET', new URL(req.url ?? '/', 'http://sim').pathname);
    if (!route || route === 'no-method' || !route.tunnel) return answerForbiddenRaw(socket);
    takeOver(route.tunnel, req, socket, head);
  };
  return { request, tunnel };
}
