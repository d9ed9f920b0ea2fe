import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startProcess, startSimProcess, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

// The embedded pool survives restarts of the simulator (SIGKILL included) and of the whole stack: what the
// control plane made is still there, running, and driven as before, so nothing turns error/vanished.
let stack: Stack;
let dataDir: string;
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'xenplane-e2e-sim-'));
  stack = await startStack({ SIM_DATA_DIR: dataDir });
});
after(async () => {
  // stack.stop() ends the processes it started; the ones restarted here are ended first
  await Promise.all([stack?.api.stop(), stack?.worker.stop(), stack?.sim.stop()]);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

// Waits until the simulator has written every change so far (its control API reports the generation on disk).
async function simSettled(url: string): Promise<void> {
  await eventually('pool on disk', async () => {
    const s = (await (await fetch(`${url}/sim/state`)).json()) as { generation: number; persistence: { generation: number } };
    return s.persistence.generation >= s.generation ? true : undefined;
  });
}

async function restartSim(signal: NodeJS.Signals): Promise<void> {
  const port = new URL(stack.sim.url).port;
  await stack.sim.stop(signal);
  stack.sim = await startSimProcess({ SIM_HOSTS: '2', SIM_DATA_DIR: dataDir, SIM_PORT: port });
}

test('VMs and networks made through the API survive simulator and stack restarts, still running and driven', { timeout: 180_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  // At least the template's 10 GiB disk: main refuses a smaller one (disks never shrink).
  const flavor = await op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'debian-12', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'durable' });
  const key = await op('POST', `/v1/tenants/${tenant.body.id}/api-keys`, { name: 'ci', role: 'admin' });
  let me = client(stack.api.url, key.body.token);
  const settled = (opId: string) =>
    eventually(
      `operation ${opId}`,
      async () => {
        const r = (await me('GET', `/v1/operations/${opId}`)).body;
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      },
      60_000,
    );

  const net = await me('POST', '/v1/networks', { name: 'backend', cidr: '10.50.0.0/24' });
  assert.equal((await settled(net.body.operation.id)).status, 'succeeded');
  const vms: string[] = [];
  for (const name of ['keep-1', 'keep-2']) {
    const r = await me('POST', '/v1/vms', { name, flavorId: flavor.body.id, imageId: image.body.id, networkIds: [net.body.network.id] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await settled(r.body.operation.id)).status, 'succeeded');
    vms.push(r.body.vm.id);
  }
  const before = await Promise.all(vms.map(async (id) => (await me('GET', `/v1/vms/${id}`)).body));
  assert.ok(
    before.every((v) => v.status === 'running'),
    JSON.stringify(before),
  );

  // Every check after a restart: same XAPI objects, running, nothing vanished, and the API still drives them.
  const stillThere = async (round: string) => {
    const pool = await xapi(stack.sim.url);
    for (const v of before) {
      const ref = await pool('VM.get_by_uuid', v.xapiUuid);
      assert.equal(await pool('VM.get_power_state', ref), 'Running', `${round}: ${v.name} runs on the pool`);
      assert.equal((await pool('VM.get_VIFs', ref)).length, 1);
    }
    await pool('network.get_by_uuid', (await me('GET', `/v1/networks/${net.body.network.id}`)).body.xapiUuid);
    // an out-of-band change is seen: the worker watches the restarted pool
    const first = await pool('VM.get_by_uuid', before[0].xapiUuid);
    await pool('VM.hard_shutdown', first);
    await eventually(
      `${round}: stop seen`,
      async () => ((await me('GET', `/v1/vms/${before[0].id}`)).body.status === 'stopped' ? true : undefined),
      30_000,
    );
    const start = await me('POST', `/v1/vms/${before[0].id}/actions`, { action: 'start' });
    assert.equal(start.status, 202, JSON.stringify(start.body));
    assert.equal((await settled(start.body.operation.id)).status, 'succeeded');
    for (const v of before) {
      const now = (await me('GET', `/v1/vms/${v.id}`)).body;
      assert.deepEqual([now.status, now.errorReason ?? null, now.xapiUuid], ['running', null, v.xapiUuid], `${round}: ${v.name}`);
    }
    assert.equal((await me('GET', `/v1/networks/${net.body.network.id}`)).body.status, 'active');
  };

  await simSettled(stack.sim.url);
  await restartSim('SIGKILL');
  await stillThere('after a SIGKILL of the simulator');

  // The whole stack, as `npm start` after Ctrl-C: same database, same simulator data folder.
  await simSettled(stack.sim.url);
  await Promise.all([stack.api.stop(), stack.worker.stop()]);
  await restartSim('SIGTERM');
  const api = startProcess('apps/api/dist/main.js', { ...stack.env, PORT: '0', HOST: '127.0.0.1' }, 'api');
  const worker = startProcess('apps/worker/dist/main.js', { ...stack.env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, 'worker');
  const [apiReady, workerReady] = await Promise.all([
    api.waitForLog((l) => l.msg === 'api listening'),
    worker.waitForLog((l) => l.msg === 'worker listening'),
  ]);
  stack.api = Object.assign(api, { url: `http://127.0.0.1:${String(apiReady.port)}` });
  stack.worker = Object.assign(worker, { url: `http://127.0.0.1:${String(workerReady.port)}` });
  me = client(stack.api.url, key.body.token);
  await stillThere('after restarting the stack');
});
