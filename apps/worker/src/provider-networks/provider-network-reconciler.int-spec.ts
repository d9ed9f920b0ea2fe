// The provider network reconciler against the simulator: an existing network's uplink, a VLAN made once (and found
// again after a crash), XAPI's refusals recorded as errors, and a delete that removes only what we made.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ProviderNetworkRepository, type NewProviderNetwork } from '@xenplane/core';
import { simFault } from '@xenplane/testing';
import { FIXTURE_FEATURES, startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { ProviderNetworkReconciler, PROVIDER_NETWORK_KEY } from './provider-network-reconciler.service.js';
import { ProviderNetworksModule } from './provider-networks.module.js';

let fx: WorkerFixture;
before(async () => {
  fx = await startWorkerFixture({ features: [...FIXTURE_FEATURES, ProviderNetworksModule] });
});
after(async () => {
  await fx?.close();
});

const repo = () => fx.get(ProviderNetworkRepository);
async function define(source: Pick<NewProviderNetwork, 'xapiNetworkUuid' | 'pifUuid' | 'vlan'>): Promise<string> {
  const id = randomUUID();
  await fx.ds.transaction((tx) =>
    repo().insert(
      tx,
      {
        id,
        poolId: fx.poolId,
        name: `pn-${id.slice(0, 8)}`,
        cidr: '203.0.113.0/24',
        gateway: '203.0.113.1',
        allocationPools: [{ start: '203.0.113.10', end: '203.0.113.20' }],
        dnsServers: [],
        visibility: 'all',
        status: 'pending',
        ...source,
      },
      [],
    ),
  );
  return id;
}
const row = async (id: string) => (await repo().find(id))!;
const eth0 = async () => {
  const [net] = await fx.pool('network.get_by_name_label', 'Pool-wide network associated with eth0');
  return { uuid: (await fx.pool('network.get_uuid', net)) as string, pifs: (await fx.pool('network.get_PIFs', net)) as string[] };
};
const ours = async (id: string) =>
  Object.values<Record<string, any>>(await fx.pool('network.get_all_records')).filter((n) => n.other_config[PROVIDER_NETWORK_KEY] === id);
const kick = () => fx.get(ProviderNetworkReconciler).kick();

test("an existing XAPI network becomes active with its hosts' bridge, untagged, and nothing is made on the pool", async () => {
  const { uuid } = await eth0();
  const id = await define({ xapiNetworkUuid: uuid, pifUuid: null, vlan: null });
  await kick();
  const r = await row(id);
  assert.deepEqual([r.status, r.bridge, r.vlanTag, r.createdOnPool, r.xapiNetworkUuid], ['active', 'xenbr0', null, false, uuid]);
  assert.deepEqual(await ours(id), []);
});

test('a VLAN on a PIF is made once per host; a crash after network.create is resumed without a second network', async () => {
  const { pifs } = await eth0();
  const pifUuid = (await fx.pool('PIF.get_uuid', pifs[0])) as string;
  const id = await define({ xapiNetworkUuid: null, pifUuid, vlan: 120 });
  await simFault(fx.sim, { method: 'pool.create_VLAN_from_PIF', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'] });
  await kick();
  assert.equal((await row(id)).status, 'error', 'a refusal by the pool is an error the operator sees');
  assert.match((await row(id)).errorReason ?? '', /^HOST_OFFLINE/);
  assert.deepEqual(await ours(id), [], 'the half-made network was removed');

  const id2 = await define({ xapiNetworkUuid: null, pifUuid, vlan: 121 });
  await kick();
  const r = await row(id2);
  const [made] = await ours(id2);
  assert.deepEqual([r.status, r.bridge, r.vlanTag, r.createdOnPool, r.xapiNetworkUuid], ['active', 'xenbr0', 121, true, made.uuid]);
  assert.equal(made.PIFs.length, pifs.length, 'a tagged PIF on every host');
  // Replayed (a second worker, a crash before the row changed): found by its key, not made again.
  await fx.ds.query(`UPDATE provider_networks SET status = 'pending' WHERE id = $1`, [id2]);
  await kick();
  assert.equal((await ours(id2)).length, 1);
  assert.equal((await row(id2)).status, 'active');

  await fx.ds.query(`UPDATE provider_networks SET status = 'deleting' WHERE id = $1`, [id2]);
  await kick();
  assert.equal((await row(id2)).status, 'deleted');
  assert.deepEqual(await ours(id2), [], 'its VLANs and network are gone');
  const vlans = Object.values<Record<string, any>>(await fx.pool('VLAN.get_all_records')).filter((v) => Number(v.tag) === 121);
  assert.deepEqual(vlans, []);
});

test("XAPI's refusals are recorded as they come: a VLAN tag in use, a PIF that is a VLAN, an unknown network", async () => {
  const { pifs } = await eth0();
  const pifUuid = (await fx.pool('PIF.get_uuid', pifs[0])) as string;
  const first = await define({ xapiNetworkUuid: null, pifUuid, vlan: 300 });
  await kick();
  assert.equal((await row(first)).status, 'active');
  const again = await define({ xapiNetworkUuid: null, pifUuid, vlan: 300 });
  const unknown = await define({ xapiNetworkUuid: randomUUID(), pifUuid: null, vlan: null });
  const [vlanPif] = (await fx.pool('network.get_PIFs', await fx.pool('network.get_by_uuid', (await row(first)).xapiNetworkUuid))) as string[];
  const onVlan = await define({ xapiNetworkUuid: null, pifUuid: (await fx.pool('PIF.get_uuid', vlanPif)) as string, vlan: 301 });
  await kick();
  assert.match((await row(again)).errorReason ?? '', /^PIF_VLAN_EXISTS/);
  assert.match((await row(unknown)).errorReason ?? '', /^UUID_INVALID/);
  assert.match((await row(onVlan)).errorReason ?? '', /^PIF_IS_VLAN/);
  assert.deepEqual([...(await ours(again)), ...(await ours(onVlan))], []);
});
