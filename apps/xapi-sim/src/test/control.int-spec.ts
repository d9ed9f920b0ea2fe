import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, control, login, newVm, templateRef, waitTask, xapiError } from '../testing/xapi-test-client.js';

describe('the /sim/ control API and tasks', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let s: string;
  before(async () => {
    sim = await startSimulator({ seed: 7 });
    json = new JsonRpc(sim.url);
    s = await login(json);
  });
  after(() => sim.close());

  it('GET /sim/state counts objects per class', async () => {
    const { status, body } = await control(sim.url, 'state');
    assert.equal(status, 200);
    assert.equal(body.counts.host, 2);
    assert.equal(body.counts.pool, 1);
    assert.equal(body.counts.VM, 6, 'four templates and two dom0s');
  });

  it('makes the next call fail with the injected code, once', async () => {
    await control(sim.url, 'faults', { method: 'VM.get_all', code: 'SESSION_INVALID', params: ['forced'] });
    const e = await xapiError(() => json.call('VM.get_all', s));
    assert.deepEqual([e.code, e.params], ['SESSION_INVALID', ['forced']]);
    assert.ok((await json.call('VM.get_all', s)).length > 0, 'one-shot');
    const xmlFault = await control(sim.url, 'faults', { method: 'host.get_all', code: 'INTERNAL_ERROR', times: 2 });
    assert.equal(xmlFault.status, 200);
    const xml = new XmlRpc(sim.url);
    assert.equal((await xapiError(() => xml.call('host.get_all', s))).code, 'INTERNAL_ERROR');
    assert.equal((await xapiError(() => xml.call('host.get_all', s))).code, 'INTERNAL_ERROR');
    assert.equal((await xml.call('host.get_all', s)).length, 2);
  });

  it('fails a task (not the Async call) when the fault names the plain method', async () => {
    await control(sim.url, 'faults', { method: 'VM.clone', code: 'SR_FULL', params: ['1', '0'] });
    const task = await json.call('Async.VM.clone', s, await templateRef(json, s), 'doomed');
    const done = await waitTask(json, s, task);
    assert.equal(done.status, 'failure');
    assert.deepEqual(done.error_info, ['SR_FULL', '1', '0']);
  });

  it('fires rate-based faults reproducibly and stops after /sim/faults/clear', async () => {
    const pattern = async () => {
      const out: boolean[] = [];
      for (let i = 0; i < 20; i++)
        out.push(
          await json.call('pool.get_all', s).then(
            () => true,
            () => false,
          ),
        );
      return out;
    };
    await control(sim.url, 'faults', { method: 'pool.get_all', code: 'INTERNAL_ERROR', rate: 0.5 });
    const seen = await pattern();
    assert.ok(seen.includes(true) && seen.includes(false), 'some calls fail, some pass');
    await control(sim.url, 'faults/clear', {});
    assert.ok((await pattern()).every(Boolean));

    const other = await startSimulator({ seed: 7 });
    try {
      const c = new JsonRpc(other.url);
      const s2 = await login(c);
      await control(other.url, 'faults', { method: 'pool.get_all', code: 'INTERNAL_ERROR', rate: 0.5 });
      const again: boolean[] = [];
      for (let i = 0; i < 20; i++)
        again.push(
          await c.call('pool.get_all', s2).then(
            () => true,
            () => false,
          ),
        );
      assert.deepEqual(again, seen, 'same seed, same failures');
    } finally {
      await other.close();
    }
  });

  it('answers HTTP 500 when the injected code is HTTP_500', async () => {
    await control(sim.url, 'faults', { method: 'VM.get_all', code: 'HTTP_500' });
    const { status } = await json.raw({ jsonrpc: '2.0', method: 'VM.get_all', params: [s], id: 1 });
    assert.equal(status, 500);
  });

  it('delays Async tasks by the configured latency, with progress, and lets task.cancel stop them', async () => {
    await control(sim.url, 'latency', { method: 'VM.clone', ms: 400 });
    try {
      const task = await json.call('Async.VM.clone', s, await templateRef(json, s), 'slow');
      await new Promise((r) => setTimeout(r, 150));
      const mid = await json.call('task.get_record', s, task);
      assert.equal(mid.status, 'pending');
      assert.ok(mid.progress > 0 && mid.progress < 1, `progress ${mid.progress}`);
      assert.deepEqual(mid.allowed_operations, ['cancel']);
      assert.equal((await waitTask(json, s, task)).status, 'success');

      const doomed = await json.call('Async.VM.clone', s, await templateRef(json, s), 'cancelled');
      await json.call('task.cancel', s, doomed);
      const done = await waitTask(json, s, doomed);
      assert.equal(done.status, 'cancelled');
      assert.deepEqual(done.error_info, ['TASK_CANCELLED', doomed]);
      assert.deepEqual(await json.call('VM.get_by_name_label', s, 'cancelled'), []);
    } finally {
      await control(sim.url, 'latency', { method: 'VM.clone', ms: 0 });
    }
  });

  it('delays synchronous calls too', async () => {
    await control(sim.url, 'latency', { method: 'host.get_all', ms: 200 });
    const started = Date.now();
    await json.call('host.get_all', s);
    assert.ok(Date.now() - started >= 190);
    await control(sim.url, 'latency', { method: 'host.get_all', ms: 0 });
  });

  it('takes a latency set by an Async.* name for the method itself, as the call is made sync or async', async () => {
    await control(sim.url, 'latency', { method: 'Async.host.get_all', ms: 200 });
    try {
      const started = Date.now();
      await json.call('host.get_all', s);
      assert.ok(Date.now() - started >= 190);
    } finally {
      await control(sim.url, 'latency', { method: 'Async.host.get_all', ms: 0 });
    }
  });

  it('counts the calls that put a VM on a host per VM, Async.* and both transports folded in', async () => {
    const [a, b] = [await newVm(json, s, 'per-vm-a'), await newVm(json, s, 'per-vm-b')];
    const hosts: string[] = await json.call('host.get_all', s);
    await waitTask(json, s, await json.call('Async.VM.start', s, a, false, false));
    await new XmlRpc(sim.url).call('VM.start_on', s, b, hosts[0], false, false);
    await waitTask(json, s, await json.call('Async.VM.pool_migrate', s, b, hosts[1], {}));
    await xapiError(() => json.call('VM.start', s, a, false, false)); // refused (running): still asked once more
    const { callsPerVm } = (await control(sim.url, 'state')).body;
    assert.deepEqual(
      [callsPerVm['VM.start']?.[a], callsPerVm['VM.start_on']?.[b], callsPerVm['VM.pool_migrate']?.[b], callsPerVm['VM.pool_migrate']?.[a]],
      [2, 1, 1, undefined],
    );
  });

  it('reports calls in flight, their peak, and calls per method in GET /sim/state', async () => {
    await control(sim.url, 'latency', { method: 'pool.get_all', ms: 200 });
    try {
      await control(sim.url, 'stats/reset-peak', {});
      const before = (await control(sim.url, 'state')).body.calls['pool.get_all'] ?? 0;
      const calls = Array.from({ length: 3 }, () => json.call('pool.get_all', s));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await control(sim.url, 'state')).body.inFlight, 3);
      await Promise.all(calls);
      const end = (await control(sim.url, 'state')).body;
      assert.deepEqual([end.inFlight, end.peakInFlight, end.calls['pool.get_all'] - before], [0, 3, 3]);
      assert.equal(end.originators['xapi-sim-tests'], 1, 'live sessions by originator');
    } finally {
      await control(sim.url, 'latency', { method: 'pool.get_all', ms: 0 });
    }
  });

  it('adds VMs in bulk with POST /sim/populate, every other one running', async () => {
    const vms = (await control(sim.url, 'state')).body.counts.VM;
    const running = Object.keys(await json.call('VM.get_all_records_where', s, 'field "power_state"="Running"')).length;
    const r = await control(sim.url, 'populate', { vms: 20 });
    assert.deepEqual(r.body, { ok: true, created: 20, running: 10 });
    assert.equal((await control(sim.url, 'state')).body.counts.VM, vms + 20);
    assert.equal(Object.keys(await json.call('VM.get_all_records_where', s, 'field "power_state"="Running"')).length, running + 10);
    assert.equal((await control(sim.url, 'populate', { vms: 0 })).status, 400);
  });

  it('rejects bad control bodies with 400 naming the field', async () => {
    const r = await control(sim.url, 'faults', { method: 'VM.start' });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /code/);
    assert.equal((await control(sim.url, 'nope', {})).status, 404);
  });
});
