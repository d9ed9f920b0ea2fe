// xapi ocaml/libs/http-lib/http_svr.ml handle_one: a method map, then the longest registered prefix of the path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpRoutes, xapiHttpActions } from './http-routes.js';

describe('the HTTP handler table', () => {
  const noop = () => undefined;

  it('routes by method and the longest prefix among implemented handlers, as http_svr.ml does', () => {
    const routes = new HttpRoutes()
      .register('put_import_raw_vdi', noop)
      .register('get_root', noop)
      .register('post_root', noop)
      .register('post_jsonrpc', noop);
    assert.equal((routes.resolve('PUT', '/import_raw_vdi') as { name: string }).name, 'put_import_raw_vdi');
    assert.equal(routes.resolve('PUT', '/import'), undefined, 'no PUT handler: 403');
    assert.equal((routes.resolve('GET', '/export') as { name: string }).name, 'get_root', 'an unimplemented GET falls to the file server');
    assert.equal((routes.resolve('POST', '/jsonrpc/x') as { name: string }).name, 'post_jsonrpc');
    assert.equal((routes.resolve('POST', '/json') as { name: string }).name, 'post_root');
    assert.equal(routes.resolve('DELETE', '/'), 'no-method');
    assert.equal(routes.resolve('CONNECT', '/console'), undefined);
  });

  it("accepts only xapi's action names (ocaml/idl/datamodel.ml http_actions)", () => {
    assert.throws(() => new HttpRoutes().register('put_frobnicate', noop), /not an xapi HTTP action/);
    for (const name of ['put_import_raw_vdi', 'get_export_raw_vdi', 'connect_console', 'connect_console_ws', 'put_import', 'get_export']) {
      assert.ok(
        xapiHttpActions.some(([n]) => n === name),
        name,
      );
    }
  });
});
