import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PRESENCES, PRESENCE_RULES } from '@xenplane/core';
import { vmFootprint } from '../quota/quota-math.js';
import { startQuotaFixture, type QuotaFixture } from '../testing/quota-fixture.js';

let fx: QuotaFixture;
before(async () => {
  fx = await startQuotaFixture(4);
});
after(async () => {
  await fx?.close();
});

const SIZE = { vcpus: 2, memoryMiB: 1024, diskGiB: 8 };
// What is left once the VM is released: the network its NIC was on.
const LEFT = {
  vms: 0,
  vcpus: 0,
  memoryMiB: 0,
  diskGiB: 0,
  networks: 1,
  apiKeys: 0,
  keypairs: 0,
  volumes: 0,
  volumeGiB: 0,
  snapshots: 0,
  snapshotGiB: 0,
  publicIps: 0,
  securityGroups: 0,
  securityGroupRules: 0,
  imageGiB: 0,
};
const NO_DRIFT = {
  vms: 0,
  vcpus: 0,
  memoryMiB: 0,
  diskGiB: 0,
  networks: 0,
  apiKeys: 0,
  keypairs: 0,
  volumes: 0,
  volumeGiB: 0,
  snapshots: 0,
  snapshotGiB: 0,
  publicIps: 0,
  securityGroups: 0,
  securityGroupRules: 0,
  imageGiB: 0,
};

async function vmWithNic(tenantId: string): Promise<string> {
  const vmId = randomUUID();
  await fx.ds.transaction(async (tx) => {
    await fx.quota.charge(tx, tenantId, vmFootprint(SIZE), { resourceId: vmId, operationId: randomUUID() });
    await fx.insertVm(tx, tenantId, vmId, SIZE);
    const [pool] = await tx.query(`SELECT pool_id FROM vms WHERE id = $1`, [vmId]);
    const netId = randomUUID();
    await fx.quota.charge(tx, tenantId, { networks: 1 }, { resourceId: netId, operationId: randomUUID() });
    await tx.query(`INSERT INTO networks (id, tenant_id, pool_id, name, cidr, vni, status) VALUES ($1, $2, $3, 'n', '10.0.0.0/24', $4, 'active')`, [
      netId,
      tenantId,
      pool.pool_id,
      4096 + Math.floor(Math.random() * 1_000_000),
    ]);
    await tx.query(`INSERT INTO vm_nics (vm_id, tenant_id, network_id, device, mac, ip) VALUES ($1, $2, $3, 0, '02:00:00:00:00:01', '10.0.0.2')`, [
      vmId,
      tenantId,
      netId,
    ]);
  });
  return vmId;
}

const row = async (id: string) => (await fx.ds.query(`SELECT presence, status, xapi_uuid FROM vms WHERE id = $1`, [id]))[0];
const usageKinds = async (id: string) =>
  (await fx.ds.query(`SELECT kind FROM usage_events WHERE resource_id = $1 ORDER BY id`, [id])).map((r: { kind: string }) => r.kind);

test("the database's presence table says what presence.ts says", async () => {
  const rows: { presence: string; on_pool: boolean; billable: boolean; holds_quota: boolean; holds_addresses: boolean }[] = await fx.ds.query(
    `SELECT * FROM resource_presences ORDER BY presence`,
  );
  assert.deepEqual(
    rows.map((r) => r.presence),
    [...PRESENCES].sort(),
  );
  for (const r of rows) {
    const rules = PRESENCE_RULES[r.presence as keyof typeof PRESENCE_RULES];
    assert.deepEqual({ onPool: r.on_pool, billable: r.billable, holdsQuota: r.holds_quota, holdsAddresses: r.holds_addresses }, rules, r.presence);
  }
});

test('made bills the VM; gone releases its quota and addresses once and ends its billing, however often it is told', async () => {
  const tenantId = await fx.tenant();
  const vmId = await vmWithNic(tenantId);
  const target = { kind: 'vm' as const, tenantId, id: vmId };
  assert.equal((await row(vmId)).presence, 'requested');
  assert.deepEqual(await usageKinds(vmId), [], 'nothing is billed before the pool holds it');

  await fx.ds.transaction((tx) => fx.lifecycle.apply(tx, target, 'made', { patch: { xapiUuid: 'x-1' }, operationId: randomUUID() }));
  assert.deepEqual(await row(vmId), { presence: 'present', status: 'pending', xapi_uuid: 'x-1' });
  assert.deepEqual(await usageKinds(vmId), ['created']);

  const results = await Promise.all(
    [1, 2, 3].map(() =>
      fx.ds.transaction((tx) => fx.lifecycle.apply(tx, target, 'gone', { patch: { status: 'deleted' }, operationId: randomUUID() })),
    ),
  );
  assert.equal(results.filter((p) => p === 'present').length, 1, 'one of them released it');
  assert.equal((await row(vmId)).presence, 'released');
  assert.deepEqual(await usageKinds(vmId), ['created', 'deleted']);
  assert.equal((await fx.ds.query(`SELECT count(*)::int AS n FROM vm_nics WHERE vm_id = $1`, [vmId]))[0].n, 0);
  assert.deepEqual((await fx.stored(tenantId)).used, LEFT);
  assert.deepEqual((await fx.quota.recount(tenantId)).drift, NO_DRIFT);

  await fx.ds.transaction((tx) => fx.lifecycle.apply(tx, target, 'made', { operationId: randomUUID() }));
  assert.equal((await row(vmId)).presence, 'released', 'a released VM stays released');
});

test('unconfirmed stops billing but keeps quota and addresses until a delete settles it', async () => {
  const tenantId = await fx.tenant();
  const vmId = await vmWithNic(tenantId);
  const target = { kind: 'vm' as const, tenantId, id: vmId };
  await fx.ds.transaction((tx) => fx.lifecycle.apply(tx, target, 'made', { patch: { xapiUuid: 'x-2' }, operationId: randomUUID() }));
  await fx.ds.transaction((tx) => fx.lifecycle.apply(tx, target, 'unconfirmed', { patch: { status: 'error' }, operationId: randomUUID() }));
  assert.deepEqual(await usageKinds(vmId), ['created', 'deleted'], 'not billed while unconfirmed');
  assert.deepEqual((await fx.stored(tenantId)).used, { ...vmFootprint(SIZE), networks: 1 });
  assert.deepEqual((await fx.quota.recount(tenantId)).drift, NO_DRIFT, 'the recount agrees it is held');
  assert.equal((await fx.ds.query(`SELECT count(*)::int AS n FROM vm_nics WHERE vm_id = $1`, [vmId]))[0].n, 1);
});

test('settledOnly leaves a VM with an operation in flight alone', async () => {
  const tenantId = await fx.tenant();
  const vmId = await vmWithNic(tenantId);
  await fx.ds.query(`UPDATE vms SET status = 'running' WHERE id = $1`, [vmId]);
  await fx.ds.query(
    `INSERT INTO operations (id, tenant_id, kind, resource_type, resource_id, status, checkpoint, attempts) VALUES ($1, $2, 'vm.stop', 'vm', $3, 'queued', '{}', 0)`,
    [randomUUID(), tenantId, vmId],
  );
  const before = await fx.ds.transaction((tx) =>
    fx.lifecycle.apply(tx, { kind: 'vm', tenantId, id: vmId }, 'gone', { operationId: vmId, settledOnly: true }),
  );
  assert.equal(before, null);
  assert.equal((await row(vmId)).presence, 'requested');
});

test("releaseNic gives a public address and its publicIps back once: racing calls, and after the VM's own release took the NICs", async () => {
  const tenantId = await fx.tenant();
  const vmId = await vmWithNic(tenantId);
  const providerId = randomUUID();
  const nicIds = [randomUUID(), randomUUID()];
  await fx.ds.transaction(async (tx) => {
    const [pool] = await tx.query(`SELECT pool_id FROM vms WHERE id = $1`, [vmId]);
    await tx.query(
      `INSERT INTO provider_networks (id, pool_id, name, cidr, gateway, allocation_pools, xapi_network_uuid, visibility, status)
       VALUES ($1, $2, $3, '203.0.113.0/24', '203.0.113.1', '[]', 'x', 'all', 'active')`,
      [providerId, pool.pool_id, `pn-${providerId}`],
    );
    // Two NICs added later (POST /v1/vms/:id/nics): each charged by its own id.
    for (const [i, id] of nicIds.entries()) {
      await fx.quota.charge(tx, tenantId, { publicIps: 1 }, { resourceId: id, operationId: randomUUID() });
      await tx.query(
        `INSERT INTO vm_nics (id, vm_id, tenant_id, provider_network_id, device, mac, ip, address_id) VALUES ($1, $2, $3, $4, $5, $6, $7, gen_random_uuid())`,
        [id, vmId, tenantId, providerId, i + 1, `02:00:00:00:01:0${i}`, `203.0.113.1${i}`],
      );
    }
  });
  assert.equal((await fx.stored(tenantId)).used.publicIps, 2);
  const removal = randomUUID();
  const raced = await Promise.all(
    [1, 2, 3].map(() => fx.ds.transaction((tx) => fx.lifecycle.releaseNic(tx, { tenantId, nicId: nicIds[0] }, removal))),
  );
  assert.deepEqual(raced.filter(Boolean).length, 1, 'one of them released it');
  assert.equal((await fx.stored(tenantId)).used.publicIps, 1);
  // The VM vanished while the second NIC's add was in flight: the VM's release counts it and takes it, the add's failure then finds nothing.
  const target = { kind: 'vm' as const, tenantId, id: vmId };
  await fx.ds.transaction((tx) => fx.lifecycle.apply(tx, target, 'made', { operationId: randomUUID() }));
  await fx.ds.transaction((tx) => fx.lifecycle.apply(tx, target, 'gone', { patch: { status: 'error' }, operationId: randomUUID() }));
  assert.equal(await fx.ds.transaction((tx) => fx.lifecycle.releaseNic(tx, { tenantId, nicId: nicIds[1] }, randomUUID())), false);
  assert.deepEqual((await fx.stored(tenantId)).used, LEFT);
  assert.deepEqual((await fx.quota.recount(tenantId)).drift, NO_DRIFT);
  const events = await fx.ds.query(`SELECT kind FROM usage_events WHERE resource_type = 'public-ip' AND tenant_id = $1 ORDER BY id`, [tenantId]);
  assert.deepEqual(
    events.map((e: { kind: string }) => e.kind),
    ['created', 'created', 'deleted', 'deleted'],
    'each address metered from its NIC row to its release',
  );
});
