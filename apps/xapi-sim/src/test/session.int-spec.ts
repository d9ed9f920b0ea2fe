import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, control, login, xapiError } from '../testing/xapi-test-client.js';

describe('sessions over both transports', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let xml: XmlRpc;
  before(async () => {
    sim = await startSimulator({ port: 0 });
    json = new JsonRpc(sim.url);
    xml = new XmlRpc(sim.url);
  });
  after(() => sim.close());

  it('logs in over JSON-RPC v2 and answers with an OpaqueRef', async () => {
    const {
      status,
      type,
      json: body,
    } = await json.raw({ jsonrpc: '2.0', method: 'session.login_with_password', params: ['root', 'xenroot', '1.0', 't'], id: 7 });
    assert.equal(status, 200);
    assert.match(type, /application\/json/);
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, 7);
    assert.match(body.result, /^OpaqueRef:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('answers JSON-RPC v1 with error:null and array-shaped errors', async () => {
    const ok = await json.raw({ method: 'session.login_with_password', params: ['root', 'xenroot'], id: 'a' });
    assert.equal(ok.json.error, null);
    assert.equal(ok.json.jsonrpc, undefined);
    assert.match(ok.json.result, /^OpaqueRef:/);
    const bad = await json.raw({ method: 'session.login_with_password', params: ['root', 'nope'], id: 'b' });
    assert.deepEqual(bad.json, { result: null, error: ['SESSION_AUTHENTICATION_FAILED'], id: 'b' });
  });

  it('logs in over XML-RPC at / and /RPC2 with 2 to 4 params', async () => {
    const res = await xml.raw(`<?xml version="1.0"?><methodCall><methodName>session.login_with_password</methodName><params>
      <param><value><string>root</string></value></param><param><value>xenroot</value></param></params></methodCall>`);
    assert.equal(res.status, 200);
    assert.match(res.type, /text\/xml/);
    assert.match(res.text, /<name>Status<\/name><value>Success<\/value>.*<value>OpaqueRef:/);
    assert.match(await new XmlRpc(sim.url, '/RPC2').call('session.login_with_password', 'root', 'xenroot', '1.0'), /^OpaqueRef:/);
  });

  it('accepts a session made on one transport on the other', async () => {
    const fromXml = await login(xml);
    assert.equal((await json.call('pool.get_all', fromXml)).length, 1);
    const fromJson = await login(json);
    assert.equal((await xml.call('pool.get_all', fromJson)).length, 1);
  });

  it('rejects bad credentials with SESSION_AUTHENTICATION_FAILED on both transports', async () => {
    assert.equal(
      (await xapiError(() => json.call('session.login_with_password', 'root', 'wrong', '1.0', 't'))).code,
      'SESSION_AUTHENTICATION_FAILED',
    );
    assert.equal((await xapiError(() => xml.call('session.login_with_password', 'admin', 'xenroot'))).code, 'SESSION_AUTHENTICATION_FAILED');
  });

  it('invalidates a session on logout and names it in SESSION_INVALID', async () => {
    const s = await login(json);
    assert.equal(await json.call('session.logout', s), '');
    const e = await xapiError(() => json.call('VM.get_all', s));
    assert.deepEqual([e.code, e.params], ['SESSION_INVALID', [s]]);
    assert.equal((await xapiError(() => xml.call('VM.get_all', 'OpaqueRef:made-up'))).code, 'SESSION_INVALID');
  });

  it('drops every session on POST /sim/sessions/invalidate', async () => {
    const s = await login(json);
    const r = await control(sim.url, 'sessions/invalidate', {});
    assert.equal(r.status, 200);
    assert.ok(r.body.invalidated >= 1);
    assert.equal((await xapiError(() => json.call('host.get_all', s))).code, 'SESSION_INVALID');
    assert.match(await login(json), /^OpaqueRef:/, 'a new login still works');
  });

  it('answers HOST_IS_SLAVE with the master address after POST /sim/master', async () => {
    const r = await control(sim.url, 'master', { host: 2 });
    assert.equal(r.body.address, '127.0.0.2');
    try {
      const e = await xapiError(() => login(json));
      assert.deepEqual([e.code, e.params], ['HOST_IS_SLAVE', ['127.0.0.2']]);
    } finally {
      await control(sim.url, 'master', { host: 1 });
    }
    assert.match(await login(json), /^OpaqueRef:/);
    assert.equal((await control(sim.url, 'master', { host: 9 })).status, 400);
  });
});

describe('idle sessions', () => {
  it('expire after SIM_SESSION_TTL_SECONDS of inactivity', async () => {
    const sim = await startSimulator({ sessionTtlSeconds: 1 });
    try {
      const json = new JsonRpc(sim.url);
      const s = await login(json);
      await json.call('pool.get_all', s);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await xapiError(() => json.call('pool.get_all', s))).code, 'SESSION_INVALID');
    } finally {
      await sim.close();
    }
  });
});
