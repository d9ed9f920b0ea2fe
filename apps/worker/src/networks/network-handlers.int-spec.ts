// network.create and network.delete through the runner against the simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkRepository, type NetworkEntity } from '@xenplane/core';
import { QuotaService } from '@xenplane/tenancy';
import { simFault } from '@xenplane/testing';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';

let fx: WorkerFixture;
before(async () => {
  fx = await startWorkerFixture();
});
after(async () => {
  await fx?.close();
});
const pool = (method: string, ...params: unknown[]) => fx.pool(method, ...params);

const network = async (n: Pick<NetworkEntity, 'tenantId' | 'id'>) => (await fx.get(NetworkRepository).find(n.tenantId, n.id))!;
/** XAPI networks carrying this network's id. */
const onPool = async (id: string) =>
  Object.values<Record<string, any>>(await pool('network.get_all_records')).filter((n) => n.other_config['xenplane-network-id'] === id);
const creates = async () => (await fx.calls())['network.create'] ?? 0;

test('network.create makes one XAPI network marked with our id, and the network becomes active', async () => {
  const tenantId = await fx.seed.tenant();
  const { network: net, operation } = await fx.seed.network(tenantId);
  await fx.attempt(operation);
  assert.equal((await fx.operation(operation)).status, 'succeeded');
  const [made] = await onPool(net.id);
  const row = await network(net);
  assert.deepEqual([row.status, row.presence, row.xapiUuid], ['active', 'present', made?.uuid]);
  assert.ok(made.tags.includes('xenplane'));
});

test('a retry finds the network an earlier attempt made by our other_config id instead of making another', async () => {
  const tenantId = await fx.seed.tenant();
  const { network: net, operation } = await fx.seed.network(tenantId);
  const before = await creates();
  // The attempt dies after network.create answered.
  await simFault(fx.sim, { method: 'network.get_uuid', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'] });
  await assert.rejects(fx.attempt(operation), /HOST_OFFLINE/);
  assert.equal((await network(net)).status, 'pending');

  await fx.attempt(operation, { attemptsMade: 1 });
  assert.equal(await creates(), before + 1);
  const made = await onPool(net.id);
  assert.equal(made.length, 1);
  assert.deepEqual([(await network(net)).status, (await network(net)).xapiUuid], ['active', made[0].uuid]);
});

test('network.delete removes the XAPI network and gives the quota back', async () => {
  const tenantId = await fx.seed.tenant();
  const { network: net, operation } = await fx.seed.network(tenantId);
  await fx.attempt(operation);
  const del = await fx.seed.deleteNetwork(tenantId, net.id);
  await fx.attempt(del);
  assert.equal((await fx.operation(del)).status, 'succeeded');
  assert.deepEqual(await onPool(net.id), []);
  assert.deepEqual([(await network(net)).status, (await network(net)).presence], ['deleted', 'released']);
  assert.equal((await fx.get(QuotaService).get(tenantId)).used.networks, 0);
});

test('network.delete of a network already gone from the pool counts as done', async () => {
  const tenantId = await fx.seed.tenant();
  const { network: net, operation } = await fx.seed.network(tenantId);
  await fx.attempt(operation);
  await pool('network.destroy', await pool('network.get_by_uuid', (await network(net)).xapiUuid));
  const del = await fx.seed.deleteNetwork(tenantId, net.id);
  await fx.attempt(del);
  assert.equal((await fx.operation(del)).status, 'succeeded');
  assert.equal((await network(net)).status, 'deleted');
  assert.equal((await fx.get(QuotaService).get(tenantId)).used.networks, 0);
});
