import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type ManagedProcess, poolCensus, simLatency, startProcess } from '@xenplane/testing';
import { assertConsistent, client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
const extra: (ManagedProcess & { url: string })[] = [];

async function spawnApp(entry: string, port: string, ready: string, name: string) {
  const env = { ...stack.env, PORT: '0', HOST: '127.0.0.1', WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' };
  const p = startProcess(entry, env, name);
  const line = await p.waitForLog((l) => l.msg === ready);
  void port;
  return Object.assign(p, { url: `http://127.0.0.1:${String(line.port)}` });
}

before(async () => {
  stack = await startStack({ SIM_HOSTS: '4' });
  extra.push(await spawnApp('apps/api/dist/main.js', '0', 'api listening', 'api-2'));
  extra.push(await spawnApp('apps/worker/dist/main.js', '0', 'worker listening', 'worker-2'));
  extra.push(await spawnApp('apps/worker/dist/main.js', '0', 'worker listening', 'worker-3'));
});
after(async () => {
  await Promise.all(extra.map((p) => p.stop()));
  await stack?.stop();
});

test('two APIs and three workers never run an operation twice', { timeout: 120_000 }, async () => {
  const apis = [client(stack.api.url, OPERATOR_TOKEN), client(extra[0].url, OPERATOR_TOKEN)];
  const op = apis[0];
  await simLatency(stack.sim.url, 'VM.clone', 30);
  const looseBefore = (await poolCensus(stack.sim.url)).looseVdis.length;
  const flavor = await op('POST', '/v1/flavors', { name: 'm', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'm', template: 'Debian Bookworm 12' });
  const tenants = [(await op('POST', '/v1/tenants', { name: 'm1' })).body.id, (await op('POST', '/v1/tenants', { name: 'm2' })).body.id] as string[];
  const answers = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      apis[i % 2]('POST', `/v1/vms?tenantId=${tenants[i % 2]}`, { name: `m${i}`, flavorId: flavor.body.id, imageId: image.body.id }),
    ),
  );
  assert.ok(answers.every((a) => a.status === 202));
  await eventually(
    'all running',
    async () => {
      const all = (await Promise.all(tenants.map(async (t) => (await op('GET', `/v1/vms?tenantId=${t}&limit=500`)).body.items))).flat() as {
        status: string;
      }[];
      return all.length === 60 && all.every((v) => v.status === 'running') ? true : undefined;
    },
    90_000,
  );
  const census = await poolCensus(stack.sim.url);
  assert.equal(
    [...census.byId.values()].reduce((n, copies) => n + copies.length, 0),
    60,
    'exactly one clone per VM',
  );
  await assertConsistent(stack, tenants, looseBefore);
});
