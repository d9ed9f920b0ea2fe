import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, poolCensus, simFault, simLatency } from '@xenplane/testing';
import { assertConsistent, client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const TENANTS = 20;
const VMS_PER_TENANT = 9;
let stack: Stack;

before(async () => {
  stack = await startStack({ SIM_HOSTS: '8', SIM_SEED: '7' }, { JOB_BACKOFF_MS: '100', WORKER_CONCURRENCY: '24' });
});
after(async () => {
  await stack?.stop();
});

test(
  `about 500 creates and deletes across ${TENANTS} tenants, with 10% of XAPI calls failing, all end consistent`,
  { timeout: 300_000 },
  async () => {
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const looseBefore = (await poolCensus(stack.sim.url)).looseVdis.length;
    const flavor = await op('POST', '/v1/flavors', { name: 'f', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
    const image = await op('POST', '/v1/images', { name: 'f', template: 'Debian Bookworm 12' });
    await simLatency(stack.sim.url, 'VM.start', 300);
    // Transient (retried) and terminal (compensated) failures, all deterministic for the seed.
    for (const f of [
      { method: 'VM.clone', code: 'OTHER_OPERATION_IN_PROGRESS', params: ['VM', 'x', 'clone', 'y'], rate: 0.1 },
      { method: 'VM.get_record', code: 'HTTP_500', rate: 0.05 },
      { method: 'VM.provision', code: 'SR_FULL', params: ['0', '0'], rate: 0.03 },
      { method: 'VM.start', code: 'HOST_NOT_ENOUGH_FREE_MEMORY', params: ['1', '0'], rate: 0.03 },
      { method: 'VM.destroy', code: 'OTHER_OPERATION_IN_PROGRESS', params: ['VM', 'x', 'destroy', 'y'], rate: 0.1 },
    ])
      await simFault(stack.sim.url, f);

    const tenants = await Promise.all(
      Array.from({ length: TENANTS }, async (_, i) => (await op('POST', '/v1/tenants', { name: `faulty-${i}` })).body.id as string),
    );
    const created = await Promise.all(
      tenants.flatMap((t) =>
        Array.from({ length: VMS_PER_TENANT }, (_, j) =>
          op('POST', `/v1/vms?tenantId=${t}`, { name: `v${j}`, flavorId: flavor.body.id, imageId: image.body.id }).then((r) => ({ t, r })),
        ),
      ),
    );
    assert.ok(
      created.every(({ r }) => r.status === 202),
      JSON.stringify(created.find(({ r }) => r.status !== 202)?.r.body),
    );

    const terminal = async (tenantId: string, n: number) => {
      const ops = (await op('GET', `/v1/operations?tenantId=${tenantId}&limit=500`)).body.items as { status: string }[];
      return ops.length === n && ops.every((o) => o.status === 'succeeded' || o.status === 'failed');
    };
    await eventually(
      'creates terminal',
      async () => ((await Promise.all(tenants.map((t) => terminal(t, VMS_PER_TENANT)))).every(Boolean) ? true : undefined),
      200_000,
    );
    const outcomes = (await Promise.all(tenants.map(async (t) => (await op('GET', `/v1/operations?tenantId=${t}&limit=500`)).body.items))).flat() as {
      status: string;
      error?: { code: string };
    }[];
    const failedCodes = new Set(outcomes.filter((o) => o.status === 'failed').map((o) => o.error?.code));
    assert.ok(
      [...failedCodes].every((c) => c === 'no_capacity' || c === 'no_storage'),
      `failures the tenant can act on: ${[...failedCodes].join(',')}`,
    );
    await assertConsistent(stack, tenants, looseBefore);

    // Delete every VM that runs, under the same faults.
    let deletes = 0;
    for (const t of tenants) {
      const vms = (await op('GET', `/v1/vms?tenantId=${t}&limit=500`)).body.items as { id: string; status: string }[];
      const doomed = vms.filter((v) => v.status === 'running');
      for (const v of doomed) assert.equal((await op('DELETE', `/v1/vms/${v.id}?tenantId=${t}`)).status, 202);
      deletes += doomed.length;
    }
    assert.ok(deletes > 100);
    await eventually(
      'deletes terminal',
      async () => {
        const all = (await Promise.all(tenants.map(async (t) => (await op('GET', `/v1/operations?tenantId=${t}&limit=500`)).body.items))).flat() as {
          status: string;
        }[];
        return all.every((o) => o.status === 'succeeded' || o.status === 'failed') ? true : undefined;
      },
      120_000,
    );
    await assertConsistent(stack, tenants, looseBefore);

    // A second wave of creates into the room the deletes made (the SR holds about 200 template disks).
    const wave = await Promise.all(
      tenants.flatMap((t) =>
        Array.from({ length: VMS_PER_TENANT }, (_, j) =>
          op('POST', `/v1/vms?tenantId=${t}`, { name: `w${j}`, flavorId: flavor.body.id, imageId: image.body.id }),
        ),
      ),
    );
    assert.ok(wave.every((r) => r.status === 202));
    let total = 0;
    await eventually(
      'second wave terminal',
      async () => {
        const all = (await Promise.all(tenants.map(async (t) => (await op('GET', `/v1/operations?tenantId=${t}&limit=500`)).body.items))).flat() as {
          status: string;
        }[];
        total = all.length;
        return all.every((o) => o.status === 'succeeded' || o.status === 'failed') ? true : undefined;
      },
      200_000,
    );
    assert.ok(total >= 450, `${total} operations`);
    await assertConsistent(stack, tenants, looseBefore);
  },
);
