// Test helper: a minimal in-process XAPI endpoint for client behaviours the simulator cannot stage
// (several hosts on different ports, an XML-only host, a host that goes away).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeXmlRpcValue } from '../transport/xml-rpc.codec.js';

/** Answers one call; may return a promise. */
export type FakeHandler = (params: unknown[]) => unknown;

/** A fake host: `handlers` answer by method; throw `['CODE', ...params]` to fail. */
export interface FakeHost {
  url: string;
  calls: string[];
  handlers: Map<string, FakeHandler>;
  close(): Promise<void>;
}

/** Starts a fake host speaking JSON-RPC v2 at /jsonrpc, or (xmlOnly) XML-RPC answers for every path. */
export async function startFakeHost(opts: { xmlOnly?: boolean } = {}): Promise<FakeHost> {
  const handlers = new Map<string, FakeHandler>();
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', async () => {
      const isJson = !opts.xmlOnly && req.url === '/jsonrpc';
      let method = '';
      let params: unknown[] = [];
      let id: unknown = null;
      if (isJson) {
        ({ method, params, id } = JSON.parse(body) as { method: string; params: unknown[]; id: unknown });
      } else {
        // good enough for tests: method name and plain string params
        method = /<methodName>([^<]*)<\/methodName>/.exec(body)?.[1] ?? '';
        params = [...body.matchAll(/<param><value>(?:<string>)?([^<]*)/g)].map((m) => m[1]);
      }
      calls.push(method);
      let outcome: { ok: true; value: unknown } | { ok: false; error: string[] };
      try {
        const h = handlers.get(method);
        outcome = h ? { ok: true, value: await h(params) } : { ok: false, error: ['MESSAGE_METHOD_UNKNOWN', method] };
      } catch (e) {
        outcome = { ok: false, error: e as string[] };
      }
      if (isJson) {
        res.setHeader('content-type', 'application/json');
        const env = outcome.ok ? { result: outcome.value } : { error: { code: 1, message: outcome.error[0], data: outcome.error.slice(1) } };
        res.end(JSON.stringify({ jsonrpc: '2.0', ...env, id }));
      } else {
        res.setHeader('content-type', 'text/xml');
        const env = outcome.ok ? { Status: 'Success', Value: outcome.value } : { Status: 'Failure', ErrorDescription: outcome.error };
        res.end(`<?xml version="1.0"?><methodResponse><params><param>${encodeXmlRpcValue(env)}</param></params></methodResponse>`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    handlers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Installs login/logout handlers issuing `session` (and `pool.get_all`, `host.get_all_records`). */
export function actAsMaster(host: FakeHost, session = 'OpaqueRef:session-1', hostAddresses: string[] = []): void {
  host.handlers.set('session.login_with_password', ([user, pwd]) => {
    if (user !== 'root' || pwd !== 'xenroot') throw ['SESSION_AUTHENTICATION_FAILED'];
    return session;
  });
  host.handlers.set('session.logout', () => '');
  host.handlers.set('pool.get_all', () => ['OpaqueRef:pool']);
  host.handlers.set('host.get_all_records', () => Object.fromEntries(hostAddresses.map((a, i) => [`OpaqueRef:h${i}`, { address: a }])));
}
