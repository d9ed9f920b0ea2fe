// xapi's HTTP handlers other than the RPC endpoints, by method and path, matched by longest prefix as
// ocaml/libs/http-lib/http_svr.ml does. A handler owns the connection: it writes a raw response or takes it over.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { serveConsole } from '../console/console-http.js';
import type { SimState } from '../sim/sim-state.js';

export type HttpHandler = (sim: SimState, req: IncomingMessage, socket: Duplex, head: Buffer) => void;

// ocaml/xapi/xapi.ml: connect_console (CONNECT /console), connect_console_ws (GET /console).
const handlers: Record<string, HttpHandler> = {
  'CONNECT /console': (sim, req, socket, head) => serveConsole(sim, 'connect', req, socket, head),
  'GET /console': (sim, req, socket, head) => serveConsole(sim, 'websocket', req, socket, head),
};

export function findHttpHandler(method: string | undefined, path: string): HttpHandler | undefined {
  let best: { length: number; handler: HttpHandler } | undefined;
  for (const [key, handler] of Object.entries(handlers)) {
    const [m, prefix] = key.split(' ') as [string, string];
    if (m === method && path.startsWith(prefix) && (!best || prefix.length > best.length)) best = { length: prefix.length, handler };
  }
  return best?.handler;
}

// CONNECT and Upgrade requests arrive outside the request listener; one with no handler gets xapi's 404.
export function tunnelListener(sim: SimState) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const handler = findHttpHandler(req.method, new URL(req.url ?? '/', 'http://sim').pathname);
    if (handler) return handler(sim, req, socket, head);
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nCache-Control: no-cache, no-store\r\n\r\n');
  };
}
