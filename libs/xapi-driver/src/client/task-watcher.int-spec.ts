import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XapiTransportError } from '../errors/xapi-error.js';
import { XapiPool } from '../pool/xapi-pool.js';
import { simControl } from '@xenplane/testing';
import { simClient, startSim, type SimProcess } from '../testing/sim-control.js';
import { provision } from '../testing/provision.js';

describe('async tasks against the simulator', () => {
  let sim: SimProcess;
  let template: string;
  before(async () => {
    sim = await startSim();
    const c = simClient(sim);
    [template] = await c.call<string[]>('VM.get_by_name_label', 'Debian Bookworm 12');
    await c.close();
  });
  after(async () => {
    await sim?.stop();
  });

  it('follows slow tasks through event.from, not polling', async () => {
    // a polling fallback would need 5 s per task; events finish with the task
    const client = simClient(sim, { taskPollIntervalMs: 5_000 });
    try {
      await simControl(sim, '/sim/latency', { method: 'VM.clone', ms: 400 });
      const started = Date.now();
      const refs = await Promise.all(['a', 'b', 'c'].map((n) => client.callAsync<string>('VM.clone', template, `slow-${n}`)));
      assert.ok(Date.now() - started < 2_500, `took ${Date.now() - started} ms`);
      const names = await Promise.all(refs.map((r) => client.call<string>('VM.get_name_label', r)));
      assert.deepEqual(names.sort(), ['slow-a', 'slow-b', 'slow-c']);
      const tasks = await client.call<Record<string, { name_label: string }>>('task.get_all_records');
      assert.ok(!Object.values(tasks).some((t) => t.name_label === 'Async.VM.clone'), 'tasks destroyed');
      await Promise.all(refs.map((r) => client.callAsync('VM.destroy', r)));
    } finally {
      await simControl(sim, '/sim/latency', { method: 'VM.clone', ms: 0 });
      await client.close();
    }
  });

  it('cancels a task that outlives its timeout', async () => {
    const client = simClient(sim);
    try {
      await simControl(sim, '/sim/latency', { method: 'VM.clone', ms: 3_000 });
      await assert.rejects(client.callAsyncWith('VM.clone', [template, 'too-slow'], { taskTimeoutMs: 300 }), (e: unknown) => {
        assert.ok(e instanceof XapiTransportError && e.kind === 'timeout', String(e));
        return true;
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(await client.call('VM.get_by_name_label', 'too-slow'), []);
    } finally {
      await simControl(sim, '/sim/latency', { method: 'VM.clone', ms: 0 });
      await client.close();
    }
  });

  it('falls back to hard shutdown when a clean shutdown takes too long', async () => {
    const client = simClient(sim);
    const pool = new XapiPool(client);
    try {
      const { ref } = await provision(pool, {
        template: 'Debian Bookworm 12',
        nameLabel: 'stubborn',
        otherConfig: {},
        memoryBytes: 2 ** 30,
        vcpus: 1,
      });
      await pool.startVm(ref);
      await simControl(sim, '/sim/latency', { method: 'VM.clean_shutdown', ms: 5_000 });
      const started = Date.now();
      await pool.shutdownVm(ref, { cleanTimeoutMs: 300 });
      assert.ok(Date.now() - started < 4_000, `took ${Date.now() - started} ms`);
      assert.equal((await pool.getVm(ref)).power_state, 'Halted');
      await pool.destroyVm(ref);
    } finally {
      await simControl(sim, '/sim/latency', { method: 'VM.clean_shutdown', ms: 0 });
      await client.close();
    }
  });
});
