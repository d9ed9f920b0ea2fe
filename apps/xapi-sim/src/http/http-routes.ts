// xapi's HTTP handler table and how it routes: by method, then the longest registered path prefix
// (ocaml/idl/datamodel.ml http_actions, registered by ocaml/xapi/xapi.ml common_http_handlers via xapi_http.ml
// add_handler; ocaml/libs/http-lib/http_svr.ml handle_one). The simulator registers the handlers it implements
// by xapi's action name; every other request is answered as xapi answers one without a handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'CONNECT' | 'OPTIONS';

// [action name, method, path] as datamodel.ml declares them.
export const xapiHttpActions: ReadonlyArray<readonly [string, HttpMethod, string]> = [
  ['get_services', 'GET', '/services'],
  ['post_services', 'POST', '/services'],
  ['put_services', 'PUT', '/services'],
  ['post_remote_db_access', 'POST', '/remote_db_access'],
  ['post_remote_db_access_v2', 'POST', '/remote_db_access_v2'],
  ['get_services_xenops', 'GET', '/services/xenops'],
  ['post_services_xenops', 'POST', '/services/xenops'],
  ['put_services_xenops', 'PUT', '/services/xenops'],
  ['get_services_sm', 'GET', '/services/SM'],
  ['post_services_sm', 'POST', '/services/SM'],
  ['put_services_sm', 'PUT', '/services/SM'],
  ['put_import', 'PUT', '/import'],
  ['put_import_metadata', 'PUT', '/import_metadata'],
  ['put_import_raw_vdi', 'PUT', '/import_raw_vdi'],
  ['get_export', 'GET', '/export'],
  ['get_export_metadata', 'GET', '/export_metadata'],
  ['get_export_raw_vdi', 'GET', '/export_raw_vdi'],
  ['connect_console', 'CONNECT', '/console'],
  ['connect_console_ws', 'GET', '/console'],
  ['get_root', 'GET', '/'],
  ['post_cli', 'POST', '/cli'],
  ['get_host_backup', 'GET', '/host_backup'],
  ['put_host_restore', 'PUT', '/host_restore'],
  ['get_host_logs_download', 'GET', '/host_logs_download'],
  ['put_pool_patch_upload', 'PUT', '/pool_patch_upload'],
  ['get_vncsnapshot', 'GET', '/vncsnapshot'],
  ['get_pool_xml_db_sync', 'GET', '/pool/xmldbdump'],
  ['put_pool_xml_db_sync', 'PUT', '/pool/xmldbdump'],
  ['get_config_sync', 'GET', '/sync_config_files'],
  ['get_system_status', 'GET', '/system-status'],
  ['vm_rrd', 'GET', '/vm_rrd'],
  ['get_vm_rrds', 'GET', '/vm_rrds'],
  ['host_rrd', 'GET', '/host_rrd'],
  ['get_host_rrds', 'GET', '/host_rrds'],
  ['sr_rrd', 'GET', '/sr_rrd'],
  ['rrd_updates', 'GET', '/rrd_updates'],
  ['rrd', 'PUT', '/rrd'],
  ['get_blob', 'GET', '/blob'],
  ['put_blob', 'PUT', '/blob'],
  ['put_messages', 'PUT', '/messages'],
  ['connect_remotecmd', 'CONNECT', '/remotecmd'],
  ['get_wlb_report', 'GET', '/wlb_report'],
  ['get_wlb_diagnostics', 'GET', '/wlb_diagnostics'],
  ['get_audit_log', 'GET', '/audit_log'],
  ['post_root', 'POST', '/'],
  ['post_RPC2', 'POST', '/RPC2'],
  ['post_json', 'POST', '/json'],
  ['post_jsonrpc', 'POST', '/jsonrpc'],
  ['post_root_options', 'OPTIONS', '/'],
  ['post_json_options', 'OPTIONS', '/json'],
  ['post_jsonrpc_options', 'OPTIONS', '/jsonrpc'],
  ['get_pool_update_download', 'GET', '/update/'],
  ['get_host_updates', 'GET', '/host_updates'],
  ['put_bundle', 'PUT', '/bundle'],
  ['get_repository', 'GET', '/repository'],
  ['get_enabled_repository', 'GET', '/repository/enabled'],
  ['get_updates', 'GET', '/updates'],
];

// A request handler; a tunnel handler takes the connection over instead (CONNECT, and GET with a WebSocket upgrade:
// node's 'connect' and 'upgrade' events, or the request's socket for a plain GET on its path).
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
export type TunnelHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void> | void;
export type Route = { name: string; handler: HttpHandler; tunnel?: undefined } | { name: string; tunnel: TunnelHandler; handler?: undefined };

export class HttpRoutes {
  private readonly handlers = new Map<string, Route>();

  // Registers the implementation of one of xapi's actions (e.g. 'put_import_raw_vdi').
  register(name: string, handler: HttpHandler): this {
    return this.add({ name, handler });
  }

  // An action that owns the connection (e.g. 'connect_console', 'connect_console_ws').
  registerTunnel(name: string, tunnel: TunnelHandler): this {
    return this.add({ name, tunnel });
  }

  private add(route: Route): this {
    if (!xapiHttpActions.some(([n]) => n === route.name)) throw new Error(`${route.name} is not an xapi HTTP action (datamodel.ml http_actions)`);
    this.handlers.set(route.name, route);
    return this;
  }

  // The implemented action for this method and path (longest prefix), 'no-method' (501) or undefined (403).
  resolve(method: string, path: string): Route | 'no-method' | undefined {
    if (!xapiHttpActions.some(([, m]) => m === method)) return 'no-method';
    let best: { name: string; path: string } | undefined;
    for (const [name, m, prefix] of xapiHttpActions) {
      if (m !== method || !path.startsWith(prefix) || !this.handlers.has(name)) continue;
      if (!best || prefix.length > best.path.length) best = { name, path: prefix };
    }
    return best && this.handlers.get(best.name);
  }
}

// http_svr.ml's answers: no handler (default_callback -> response_forbidden), a method without any (501),
// and fileserver.ml's page for a file it does not have (GET falls back to get_root).
const forbiddenBody = '<html><body><h1>HTTP 403 forbidden</h1>Access to the requested resource is forbidden.</body></html>';
const closing = { connection: 'close', 'cache-control': 'no-cache, no-store' };

export function answerForbidden(res: ServerResponse): void {
  res.writeHead(403, 'Forbidden', { 'content-type': 'text/html', ...closing, 'content-length': Buffer.byteLength(forbiddenBody) });
  res.end(forbiddenBody);
}

// A whole response written on a connection taken over (CONNECT, upgrades), which then closes.
export function answerRaw(socket: Duplex, version: string, code: number, reason: string, body: string, extra: string[] = []): void {
  const head = [
    `HTTP/${version} ${code} ${reason}`,
    'content-type: text/html',
    'connection: close',
    'cache-control: no-cache, no-store',
    `content-length: ${Buffer.byteLength(body)}`,
    ...extra,
    '',
    '',
  ].join('\r\n');
  socket.end(head + body);
}

export function answerForbiddenRaw(socket: Duplex): void {
  answerRaw(socket, '1.1', 403, 'Forbidden', forbiddenBody);
}

export function answerNotImplemented(res: ServerResponse, method: string): void {
  const body = `<html><body><h1>HTTP 501 Method Not Implemented</h1><p>${method} not supported.<br /></p></body></html>`;
  res.writeHead(501, 'Method not implemented', { 'content-type': 'text/html', ...closing, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function answerMissing(res: ServerResponse, uri: string): void {
  const safe = uri.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const body = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"> <html><head> <title>404 Not Found</title> </head><body> <h1>Not Found</h1> <p>The requested URL ${safe} was not found on this server.</p> <hr><address>Xapi Server</address></body></html>`;
  res.writeHead(404, 'Not Found', { ...closing, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
