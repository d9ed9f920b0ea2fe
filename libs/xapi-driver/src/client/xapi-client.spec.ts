import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { actAsMaster, startFakeHost, type FakeHost } from '../testing/fake-xapi-server.js';
import { XapiClient } from './xapi-client.js';
import type { XapiClientOptions } from './xapi-client.options.js';

const hosts: FakeHost[] = [];
const clients: XapiClient[] = [];
async function fake(opts: { xmlOnly?: boolean } = {}): Promise<FakeHost> {
  const h = await startFakeHost(opts);
  hosts.push(h);
  return h;
}
function client(url: string, opts: Partial<XapiClientOptions> = {}): XapiClient {
  const c = new XapiClient({ url, username: 'root', password: 'xenroot', taskPollIntervalMs: 20, ...opts });
  clients.push(c);
  return c;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('XapiClient behaviours (in-process fake hosts)', () => {
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(hosts.splice(0).map((h) => h.close()));
  });

  it('auto-detects an XML-RPC-only host and normalises ints by the datamodel', async () => {
    const h = await fake({ xmlOnly: true });
    actAsMaster(h);
    h.handlers.set('VM.get_VCPUs_max', () => '4');
    const c = client(h.url);
    assert.equal(await c.call('VM.get_VCPUs_max', 'OpaqueRef:v'), 4);
    assert.equal(c.protocol, 'xml-rpc');
  });

  it('sends the originator at login and follows HOST_IS_SLAVE to the master', async () => {
    const master = await fake();
    const slave = await fake();
    actAsMaster(master);
    let loginParams: unknown[] = [];
    master.handlers.set('session.login_with_password', (p) => ((loginParams = p), 'OpaqueRef:s'));
    slave.handlers.set('session.login_with_password', () => {
      throw ['HOST_IS_SLAVE', new URL(master.url).host];
    });
    const c = client(slave.url);
    assert.deepEqual(await c.call('pool.get_all'), ['OpaqueRef:pool']);
    assert.equal(c.masterUrl, `${master.url}/`);
    assert.deepEqual(loginParams, ['root', 'xenroot', '1.0', 'xenplane']);
    assert.ok(!slave.calls.includes('pool.get_all'));
  });

  it('fails over to another known host when the master stops answering', async () => {
    const a = await fake();
    const b = await fake();
    actAsMaster(a, 'OpaqueRef:sa', [new URL(a.url).host, new URL(b.url).host]);
    actAsMaster(b, 'OpaqueRef:sb');
    const c = client(a.url);
    assert.deepEqual(await c.call('pool.get_all'), ['OpaqueRef:pool']);
    await sleep(50); // lets the background host.get_all_records land
    await a.close();
    b.handlers.set('VM.get_all', ([session]) => [session]);
    assert.deepEqual(await c.call('VM.get_all'), ['OpaqueRef:sb']);
    assert.equal(c.masterUrl, `${b.url}/`);
  });

  it('uses hostAddresses given up front for fail-over', async () => {
    const b = await fake();
    actAsMaster(b, 'OpaqueRef:sb');
    const c = client('http://127.0.0.1:1', { hostAddresses: [b.url] });
    assert.deepEqual(await c.call('pool.get_all'), ['OpaqueRef:pool']);
  });

  it('re-logs in once on SESSION_INVALID, and only once', async () => {
    const h = await fake();
    let n = 0;
    actAsMaster(h);
    h.handlers.set('session.login_with_password', () => `OpaqueRef:s${++n}`);
    let invalidations = 1;
    h.handlers.set('VM.get_all', ([s]) => {
      if (invalidations-- > 0) throw ['SESSION_INVALID', s as string];
      return [s];
    });
    const c = client(h.url);
    assert.deepEqual(await c.call('VM.get_all'), ['OpaqueRef:s2']);
    h.handlers.set('VM.get_all', ([s]) => {
      throw ['SESSION_INVALID', s as string];
    });
    await assert.rejects(c.call('VM.get_all'), (e: unknown) => e instanceof XapiError && e.code === 'SESSION_INVALID');
    assert.equal(h.calls.filter((m) => m === 'session.login_with_password').length, 3);
  });

  it('limits concurrent calls per pool', async () => {
    const h = await fake();
    actAsMaster(h);
    let active = 0;
    let peak = 0;
    h.handlers.set('VM.get_all', async () => {
      peak = Math.max(peak, ++active);
      await sleep(30);
      active--;
      return [];
    });
    const c = client(h.url, { maxConcurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, () => c.call('VM.get_all')));
    assert.equal(peak, 2);
  });

  it('waits for tasks by polling when events are unavailable, then destroys them', async () => {
    const h = await fake();
    actAsMaster(h);
    let polls = 0;
    h.handlers.set('Async.VM.clone', () => 'OpaqueRef:task');
    h.handlers.set('task.get_record', () =>
      ++polls < 3 ? { status: 'pending', result: '', error_info: [] } : { status: 'success', result: '<value>OpaqueRef:new-vm</value>', error_info: [] },
    );
    h.handlers.set('task.destroy', () => '');
    const c = client(h.url);
    assert.equal(await c.callAsync('VM.clone', 'OpaqueRef:tpl', 'x'), 'OpaqueRef:new-vm');
    assert.ok(h.calls.includes('task.destroy'));
  });

  it('times out slow calls and refuses to manage sessions by hand', async () => {
    const h = await fake();
    actAsMaster(h);
    h.handlers.set('VM.get_all', () => sleep(500).then(() => []));
    const c = client(h.url, { callTimeoutMs: 100 });
    await assert.rejects(c.call('VM.get_all'), (e: unknown) => e instanceof XapiTransportError && e.kind === 'timeout' && e.retryable);
    await assert.rejects(c.call('session.logout'), TypeError);
  });
});
