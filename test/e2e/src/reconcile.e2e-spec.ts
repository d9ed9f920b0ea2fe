import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type ManagedProcess, startProcess, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
let second: ManagedProcess & { url: string };
before(async () => {
  stack = await startStack();
  const p = startProcess('apps/worker/dist/main.js', { ...stack.env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, 'worker-2');
  const ready = await p.waitForLog((l) => l.msg === 'worker listening');
  second = Object.assign(p, { url: `http://127.0.0.1:${String(ready.port)}` });
});
after(async () => {
  await second?.stop();
  await stack?.stop();
});

async function watchers(url: string): Promise<number> {
  const text = (await client(url, null)('GET', '/metrics')).body as string;
  return Number(/^xenplane_vm_watchers (\d+)/m.exec(text)?.[1] ?? 0);
}

test('changes made outside xenplane are reflected, and a vanished VM gives its quota back', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = await op('POST', '/v1/flavors', { name: 'r', vcpus: 2, memoryMiB: 1024, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'r', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'oob' });
  const t = `?tenantId=${tenant.body.id}`;
  const created = await op('POST', `/v1/vms${t}`, { name: 'oob-1', flavorId: flavor.body.id, imageId: image.body.id });
  const vm = await eventually('running', async () => {
    const r = (await op('GET', `/v1/vms/${created.body.vm.id}${t}`)).body;
    return r.status === 'running' ? r : undefined;
  });
  assert.equal((await op('GET', `/v1/quota${t}`)).body.used.vcpus, 2);

  // Exactly one of the two workers watches the pool.
  await eventually('one watcher', async () => ((await watchers(stack.worker.url)) + (await watchers(second.url)) === 1 ? true : undefined));

  const pool = await xapi(stack.sim.url);
  const ref = await pool('VM.get_by_uuid', vm.xapiUuid);
  await pool('VM.hard_shutdown', ref);
  await eventually('stopped seen', async () => ((await op('GET', `/v1/vms/${vm.id}${t}`)).body.status === 'stopped' ? true : undefined), 10_000);
  await pool('VM.start', ref, false, false);
  await eventually('running seen', async () => ((await op('GET', `/v1/vms/${vm.id}${t}`)).body.status === 'running' ? true : undefined), 10_000);

  // Kill whichever worker watches; the other takes over and still sees what happens.
  const owner = (await watchers(stack.worker.url)) === 1 ? stack.worker : second;
  const survivor = owner === second ? stack.worker : second;
  await owner.stop('SIGKILL');
  await eventually('takeover', async () => ((await watchers(survivor.url)) === 1 ? true : undefined), 15_000);

  await pool('VM.hard_shutdown', ref);
  await pool('VM.destroy', ref);
  const gone = await eventually(
    'vanished',
    async () => {
      const r = (await op('GET', `/v1/vms/${vm.id}${t}`)).body;
      return r.status === 'error' ? r : undefined;
    },
    15_000,
  );
  assert.equal(gone.errorReason, 'vanished');
  const quota = (await op('GET', `/v1/quota${t}`)).body;
  assert.equal(quota.used.vcpus, 0);
  assert.equal(quota.used.vms, 0);
  const metrics = (await client(survivor.url, null)('GET', '/metrics')).body as string;
  assert.match(metrics, /xenplane_reconcile_drift_total\{pool="[^"]+",kind="vanished"\} 1/);
});
