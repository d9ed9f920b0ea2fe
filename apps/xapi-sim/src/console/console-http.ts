// /console as ocaml/xapi/console.ml serves it: CONNECT (real_proxy: "200 OK" then the raw console stream) and
// GET with a WebSocket upgrade (ws_proxy: 101 with "Sec-WebSocket-Protocol: binary", binary frames), both after
// xapi_http.ml's with_context session check (session_id cookie or query, or Basic auth; else 401).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { XRecord } from '../datamodel/defaults.js';
import { HttpParams, Unauthorised, authenticate, basicRealm, internalErrorBody, unauthorisedBody } from '../http/http-context.js';
import { answerRaw } from '../http/http-routes.js';
import type { SimState } from '../sim/sim-state.js';
import { domainKey } from './console-links.js';
import { RfbSession } from './rfb-server.js';
import { TestPattern } from './test-pattern.js';
import { serveVt100 } from './vt100-server.js';
import { scalar } from '../datamodel/defaults.js';

const realm = 'Connection to VM console';

// One server for all upgrades; it never negotiates, the header is added as xapi's Ws_helpers always sends it.
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024, handleProtocols: () => false });
wss.on('headers', (headers) => headers.push('Sec-WebSocket-Protocol: binary'));

// console_of_request: ?uuid= names a VM or a console, ?ref= a VM (its rfb console) or a console.
function consoleOf(sim: SimState, query: URLSearchParams): string | undefined {
  const uuid = query.get('uuid');
  const ref = uuid !== null ? (sim.store.refByUuid('VM', uuid) ?? sim.store.refByUuid('console', uuid)) : query.get('ref');
  if (!ref) return undefined;
  if (sim.store.get('console', ref)) return ref;
  const vm = sim.store.get('VM', ref);
  return (vm?.consoles as string[] | undefined)?.find((c) => sim.store.get('console', c)?.protocol === 'rfb');
}

// check_vm_is_running_here: the request must reach the host the VM runs on (when hosts have their own addresses).
function runningHere(sim: SimState, vm: XRecord, localAddress: string): boolean {
  if (vm.power_state !== 'Running') return false;
  const net = sim.net;
  const distinct = !net || new Set(sim.hostRefs.map((_, i) => net.urlOf(i + 1))).size === sim.hostRefs.length;
  return !distinct || sim.hostAt(localAddress) === vm.resident_on;
}

function attach(sim: SimState, consoleRef: string, stream: Duplex, head?: Buffer): void {
  const c = sim.store.mustGet('console', consoleRef);
  const vmRef = scalar(c.VM);
  const vm = sim.store.mustGet('VM', vmRef);
  const hostRef = scalar(vm.resident_on);
  sim.consoleLinks.add(vmRef, domainKey(hostRef, Number(vm.domid)), stream);
  const info = {
    name: scalar(vm.name_label),
    uuid: scalar(vm.uuid),
    host: scalar(sim.store.get('host', hostRef)?.hostname ?? ''),
    domid: Number(vm.domid),
  };
  if (c.protocol === 'vt100') serveVt100(stream, info, head);
  else new RfbSession(stream, new TestPattern(info), info.name, head);
}

export function serveConsole(sim: SimState, kind: 'connect' | 'websocket', req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const version = req.httpVersion === '1.0' ? '1.0' : '1.1';
  const query = new URL(req.url ?? '/', 'http://sim').searchParams;
  let auth: ReturnType<typeof authenticate>;
  try {
    auth = authenticate(sim, req, new HttpParams(req)); // xapi_http.ml with_context, as every handler
  } catch (e) {
    if (e instanceof Unauthorised)
      return answerRaw(socket, version, 401, 'Unauthorised', unauthorisedBody, [`WWW-Authenticate: ${basicRealm(realm)}`]);
    throw e;
  }
  socket.once('close', () => auth.release()); // a Basic-auth session lasts as long as the connection
  const consoleRef = consoleOf(sim, query);
  const vm = consoleRef && sim.store.get('VM', scalar(sim.store.get('console', consoleRef)?.VM));
  if (!consoleRef || !vm || !runningHere(sim, vm, (socket as Partial<Socket>).localAddress ?? '')) {
    return answerRaw(socket, version, 500, 'Internal Error', internalErrorBody('Console.Failure'));
  }
  if (kind === 'connect') {
    socket.write('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nCache-Control: no-cache, no-store\r\n\r\n');
    return attach(sim, consoleRef, socket, head);
  }
  // Ws_helpers.upgrade without a Sec-WebSocket-Key fails, and ws_proxy answers 501.
  if (!req.headers['sec-websocket-key'] || String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    return void socket.end('HTTP/1.0 501 Method Not Implemented\r\nConnection: close\r\nCache-Control: no-cache, no-store\r\n\r\n');
  }
  wss.handleUpgrade(req, socket, head, (ws) => attach(sim, consoleRef, createWebSocketStream(ws)));
}
