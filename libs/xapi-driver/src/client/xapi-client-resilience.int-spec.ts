import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { simControl, simHostUrl, simState } from '@xenplane/testing';
import { simClient, startSim, type SimProcess } from '../testing/sim-control.js';
import type { XapiClient } from './xapi-client.js';
import type { XapiClientOptions } from './xapi-client.options.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('XapiClient resilience against the simulator (hosts on 127.0.0.k)', () => {
  let sim: SimProcess;
  let template: string;
  const clients: XapiClient[] = [];
  const client = (opts: Partial<XapiClientOptions> = {}) => {
    const c = simClient(sim, { taskPollIntervalMs: 20, ...opts });
    clients.push(c);
    return c;
  };
  // a fresh client that has logged in and learned every host.address (for fail-over)
  const warmClient = async (opts: Partial<XapiClientOptions> = {}) => {
    const c = client(opts);
    const before = (await simState(sim)).calls['host.get_all_records'] ?? 0;
    await c.call('pool.get_all');
    for (let i = 0; i < 100 && ((await simState(sim)).calls['host.get_all_records'] ?? 0) === before; i++) await sleep(10);
    return c;
  };
  before(async () => {
    sim = await startSim({ SIM_HOSTS: '3' });
    const c = client();
    [template] = await c.call<string[]>('VM.get_by_name_label', 'Debian Bookworm 12');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    // every test leaves the pool as it found it: all hosts up, host 1 master, no faults or latency
    for (const k of [1, 2, 3]) await simControl(sim, `/sim/hosts/${k}/up`, {}, 3);
    await simControl(sim, '/sim/master', { host: 1 }, 3);
    await simControl(sim, '/sim/faults/clear', {}, 3);
    await simControl(sim, '/sim/latency', { method: '*', ms: 0 }, 3);
    await simControl(sim, '/sim/transport', { jsonrpc: true }, 3);
  });
  after(async () => {
    await sim?.stop();
  });

  it('auto-detects a host without JSON-RPC and normalises XML-RPC ints by the datamodel', async () => {
    await simControl(sim, '/sim/transport', { jsonrpc: false });
    const c = client();
    assert.equal(await c.call('VM.get_VCPUs_max', template), 1);
    assert.equal(c.protocol, 'xml-rpc');
    const metrics = await c.call<Record<string, { memory_total: unknown; last_updated: unknown }>>('host_metrics.get_all_records');
    assert.ok(Object.values(metrics).every((m) => typeof m.memory_total === 'number' && m.last_updated instanceof Date));
  });

  it('follows the master when it moves while a session is open', async () => {
    const c = await warmClient();
    await simControl(sim, '/sim/master', { host: 2 });
    assert.equal((await c.call<string[]>('host.get_all')).length, 3);
    assert.equal(new URL(c.masterUrl).hostname, '127.0.0.2');
  });

  it('fails over to a learned host when the master dies and another takes over', async () => {
    const c = await warmClient();
    await simControl(sim, '/sim/master', { host: 3 });
    await simControl(sim, '/sim/hosts/1/down');
    const vms = await c.call<string[]>('VM.get_all');
    assert.ok(vms.includes(template));
    assert.equal(new URL(c.masterUrl).hostname, '127.0.0.3');
    assert.deepEqual(
      (await simState(sim, 3)).hosts.map((h) => h.up),
      [false, true, true],
    );
  });

  it('reports a retryable connection error when the master is down and nobody took over', async () => {
    const c = await warmClient({ callTimeoutMs: 2_000 });
    await simControl(sim, '/sim/hosts/1/down');
    await assert.rejects(c.call('VM.get_all'), (e: unknown) => {
      assert.ok(e instanceof XapiTransportError && e.kind === 'connection', String(e));
      assert.equal(e.retryable, true);
      return true;
    });
  });

  it('uses hostAddresses given up front when the configured URL is dead', async () => {
    const c = client({ url: 'http://127.0.0.1:1', hostAddresses: [simHostUrl(sim, 1)] });
    assert.equal((await c.call<string[]>('pool.get_all')).length, 1);
  });

  it('re-logs in once on SESSION_INVALID, and only once', async () => {
    const c = await warmClient();
    await simControl(sim, '/sim/faults', { method: 'VM.get_all', code: 'SESSION_INVALID', params: ['stale'], rate: 1 });
    const logins = (await simState(sim)).calls['session.login_with_password'] ?? 0;
    await assert.rejects(c.call('VM.get_all'), (e: unknown) => e instanceof XapiError && e.code === 'SESSION_INVALID' && e.retryable);
    assert.equal((await simState(sim)).calls['session.login_with_password'], logins + 1);
  });

  it('keeps at most maxConcurrency calls in flight at the server', async () => {
    const c = await warmClient({ maxConcurrency: 2 });
    await simControl(sim, '/sim/latency', { method: 'VM.get_all', ms: 100 });
    await simControl(sim, '/sim/stats/reset-peak');
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => c.call('VM.get_all')));
    assert.ok(Date.now() - started >= 290, 'three waves of two');
    assert.equal((await simState(sim)).peakInFlight, 2);
  });

  it('waits for tasks by polling when event.from is unavailable, then destroys them', async () => {
    const c = client();
    await simControl(sim, '/sim/faults', { method: 'event.from', code: 'MESSAGE_METHOD_UNKNOWN', params: ['event.from'], rate: 1 });
    await simControl(sim, '/sim/latency', { method: 'VM.clone', ms: 300 });
    const polls = (await simState(sim)).calls['task.get_record'] ?? 0;
    const vm = await c.callAsync<string>('VM.clone', template, 'polled-clone');
    assert.equal(await c.call('VM.get_name_label', vm), 'polled-clone');
    const state = await simState(sim);
    assert.ok(state.calls['event.from'] >= 1, 'tried events first');
    assert.ok(state.calls['task.get_record'] - polls >= 3, `polled ${state.calls['task.get_record'] - polls} times`);
    const tasks = await c.call<Record<string, { name_label: string }>>('task.get_all_records');
    assert.ok(!Object.values(tasks).some((t) => t.name_label === 'Async.VM.clone'), 'task destroyed');
    await c.callAsync('VM.destroy', vm);
  });

  it('refuses to manage sessions by hand', async () => {
    await assert.rejects(client().call('session.logout'), TypeError);
  });
});
