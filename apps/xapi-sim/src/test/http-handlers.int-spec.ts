// Conformance: every HTTP path other than the RPC endpoints answers as xapi does, never a 200 that leaves a task pending.
// Authority: xapi ocaml/xapi/xapi.ml common_http_handlers, ocaml/idl/datamodel.ml http_actions,
// ocaml/libs/http-lib/http_svr.ml (default_callback -> response_forbidden, response_method_not_implemented,
// respond_to_options), ocaml/xapi/fileserver.ml (send_file, missing), ocaml/xapi/api_server.ml (callback).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { httpRequest } from '../testing/http-request.js';
import { JsonRpc, XmlRpc, login } from '../testing/xapi-test-client.js';

const request = (url: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  httpRequest(`${url}${path}`, method, body, headers);

describe('HTTP handlers as xapi serves them', () => {
  let sim: Simulator;
  let s: string;
  before(async () => {
    sim = await startSimulator();
    s = await login(new JsonRpc(sim.url));
  });
  after(() => sim.close());

  it('answers an upload to a handler it lacks with 403 at once, as xapi answers a path without handler', async () => {
    const json = new JsonRpc(sim.url);
    const task = await json.call('task.create', s, 'import', '');
    const started = Date.now();
    const r = await request(sim.url, 'PUT', `/import?session_id=${s}&task_id=${task}`, 'x'.repeat(4096), { 'content-length': '4096' });
    assert.equal(r.status, 403);
    assert.equal(r.text, '<html><body><h1>HTTP 403 forbidden</h1>Access to the requested resource is forbidden.</body></html>');
    assert.equal(r.headers.connection, 'close');
    assert.ok(Date.now() - started < 2000);
    assert.equal((await request(sim.url, 'PUT', '/no_such_handler', '')).status, 403);
  });

  it("serves GET / as the web page and other GET paths as the file server's 404", async () => {
    assert.equal((await request(sim.url, 'GET', '/')).status, 200);
    const r = await request(sim.url, 'GET', `/export?session_id=${s}&uuid=x`);
    assert.equal(r.status, 404);
    assert.match(r.text, /<title>404 Not Found<\/title>.*The requested URL \/export\?session_id=.* was not found on this server/);
  });

  it('answers methods xapi has no handler for with 501, OPTIONS with CORS headers, CONNECT without handler with 403', async () => {
    const r = await request(sim.url, 'DELETE', '/');
    assert.equal(r.status, 501);
    assert.match(r.text, /HTTP 501 Method Not Implemented.*DELETE not supported/);
    const o = await request(sim.url, 'OPTIONS', '/jsonrpc', undefined, { 'access-control-request-headers': 'content-type' });
    assert.deepEqual(
      [o.status, o.headers['access-control-allow-origin'], o.headers['access-control-allow-headers']],
      [200, '*', 'content-type, X-Requested-With'],
    );
    const c = await new Promise<number>((resolve, reject) => {
      http
        .request(`${sim.url}/remotecmd`, { method: 'CONNECT' })
        .on('connect', (res, socket) => (socket.destroy(), resolve(res.statusCode ?? 0)))
        .on('error', reject)
        .end();
    });
    assert.equal(c, 403);
  });

  it('speaks XML-RPC on /, /RPC2 and /json, and JSON-RPC on /jsonrpc', async () => {
    for (const path of ['/', '/RPC2', '/json'])
      assert.match(await new XmlRpc(sim.url, path).call('session.login_with_password', 'root', 'xenroot'), /^OpaqueRef:/);
    assert.match(await new JsonRpc(sim.url).call('session.login_with_password', 'root', 'xenroot'), /^OpaqueRef:/);
  });
});
