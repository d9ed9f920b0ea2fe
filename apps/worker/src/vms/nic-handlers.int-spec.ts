// vm.add-nic and vm.remove-nic through the runner against the simulator: the VIF xapi ends up holding (device from
// VM.get_allowed_VIF_devices, hot-plug only where xapi_vif_helpers.ml allows it), the address held and released once,
// and the config drive rebuilt with the VM's NICs (same instance-id), read back through /export_raw_vdi.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { NotificationListener, type NetworkEntity, type VmEntity } from '@xenplane/core';
import { cloudInitReads, extractIso } from '@xenplane/config-drive/testing';
import { simControl, simFault } from '@xenplane/testing';
import { XapiClient, XapiStorage } from '@xenplane/xapi-driver';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { CONFIG_DRIVE_KEY } from './config-drive.service.js';

let fx: WorkerFixture;
let client: XapiClient;
let front: NetworkEntity;
let back: NetworkEntity;

before(async () => {
  fx = await startWorkerFixture();
  client = new XapiClient({ url: fx.sim.url, username: 'root', password: 'xenroot', originator: 'nic-tests' });
  const tenantId = await fx.seed.tenant();
  for (const cidr of ['10.61.0.0/24', '10.62.0.0/24']) {
    const made = await fx.seed.network(tenantId, cidr);
    await fx.attempt(made.operation);
    if (cidr.startsWith('10.61')) front = made.network;
    else back = made.network;
  }
});
after(async () => {
  await client?.close();
  await fx?.close();
});

interface Nic {
  id: string;
  device: number;
  mac: string;
  ip: string;
  status: string;
}
const nicsOf = (vm: VmEntity) =>
  fx.ds.query<Nic[]>(`SELECT id, device, mac::text, host(ip) AS ip, status FROM vm_nics WHERE vm_id = $1 ORDER BY device`, [vm.id]);

interface Vif {
  device: string;
  MAC: string;
  currently_attached: boolean;
}
async function vifsOf(vm: VmEntity): Promise<Vif[]> {
  const ref = await fx.pool('VM.get_by_uuid', vm.xapiUuid);
  const vifs: Vif[] = [];
  for (const v of (await fx.pool('VM.get_VIFs', ref)) as string[]) vifs.push((await fx.pool('VIF.get_record', v)) as Vif);
  return vifs.sort((a, b) => Number(a.device) - Number(b.device));
}
const xenstore = async (vm: VmEntity) =>
  (await fx.pool('VM.get_xenstore_data', await fx.pool('VM.get_by_uuid', vm.xapiUuid))) as Record<string, string>;

/** The network-config cloud-init reads from the VM's one config drive. */
async function driveNetwork(
  vm: VmEntity,
): Promise<{ instanceId: string; ethernets: Record<string, { match: { macaddress: string }; addresses: string[] }> }> {
  const all = (await fx.pool('VDI.get_all_records')) as Record<string, { other_config: Record<string, string> }>;
  const refs = Object.entries(all).filter(([, v]) => v.other_config[CONFIG_DRIVE_KEY] === vm.id);
  assert.equal(refs.length, 1, 'one config drive');
  const iso = await extractIso(await buffer(await new XapiStorage(client).exportVdi(refs[0][0])));
  const seen = await cloudInitReads(iso.dir, 'nocloud');
  return { instanceId: seen.instanceId, ethernets: (seen.networkConfig as { ethernets: never }).ethernets };
}

async function stoppedVm(): Promise<VmEntity> {
  const vm = await fx.provisioned(front.tenantId, { networks: [front], bootstrap: { hostname: 'nic-host' } });
  const stop = await fx.seed.act(vm.tenantId, vm.id, 'stop');
  await fx.attempt(stop);
  return fx.vm(vm);
}

async function run(operation: Awaited<ReturnType<WorkerFixture['seed']['removeNic']>>) {
  await fx.attempt(operation);
  return fx.operation(operation);
}

describe('vm.add-nic', () => {
  test('on a stopped VM: a VIF at the next device with its MAC, its address in xenstore, and a drive whose network-config has both NICs', async () => {
    const vm = await stoppedVm();
    assert.equal(vm.status, 'stopped');
    const { nicId, operation } = await fx.seed.addNic(vm.tenantId, vm.id, back);
    assert.equal((await run(operation)).status, 'succeeded');
    const [first, added] = await nicsOf(vm);
    assert.deepEqual([added.id, added.device, added.status, added.ip], [nicId, 1, 'attached', '10.62.0.2']);
    const vifs = await vifsOf(vm);
    assert.deepEqual(
      vifs.map((v) => [v.device, v.MAC]),
      [
        ['0', first.mac],
        ['1', added.mac],
      ],
    );
    assert.equal((await xenstore(vm))['vm-data/ip1'], '10.62.0.2/24');
    const drive = await driveNetwork(vm);
    assert.equal(drive.instanceId, vm.id, 'same instance-id');
    assert.deepEqual(drive.ethernets.eth1.match.macaddress, added.mac);
    assert.deepEqual(drive.ethernets.eth1.addresses, ['10.62.0.2/24']);
    assert.deepEqual(drive.ethernets.eth0.addresses, [`${first.ip}/24`]);
    assert.equal((await fx.vm(vm)).status, 'stopped', 'the VM stays as it was');
  });

  test('on a running VM with PV drivers it is hot-plugged; without them it is requires_stop, with no VIF left and the address given back', async () => {
    const vm = await fx.provisioned(front.tenantId, { networks: [front] });
    const { operation } = await fx.seed.addNic(vm.tenantId, vm.id, back);
    assert.equal((await run(operation)).status, 'succeeded');
    assert.deepEqual(
      (await vifsOf(vm)).map((v) => [v.device, v.currently_attached]),
      [
        ['0', true],
        ['1', true],
      ],
    );

    const bare = await fx.provisioned(front.tenantId, { networks: [front] });
    await simControl(fx.sim, `/sim/vms/${bare.xapiUuid}/guest-tools`, { present: false });
    const refused = await fx.seed.addNic(bare.tenantId, bare.id, back);
    const op = await run(refused.operation);
    assert.deepEqual([op.status, op.errorCode], ['failed', 'requires_stop']);
    assert.equal((await vifsOf(bare)).length, 1, 'the VIF it made is gone');
    assert.equal((await nicsOf(bare)).length, 1, 'the address went back');
    assert.equal((await fx.vm(bare)).status, 'running');
  });

  test('a device slot taken on the pool moves the NIC to the lowest one VM.get_allowed_VIF_devices offers', async () => {
    const vm = await stoppedVm();
    const vmRef = await fx.pool('VM.get_by_uuid', vm.xapiUuid);
    const [{ uuid }] = await fx.ds.query<{ uuid: string }[]>(`SELECT xapi_uuid AS uuid FROM networks WHERE id = $1`, [back.id]);
    const net = await fx.pool('network.get_by_uuid', uuid);
    // Someone made a VIF at device 1 out of band.
    await fx.pool('VIF.create', {
      device: '1',
      network: net,
      VM: vmRef,
      MAC: '',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    });
    const { operation } = await fx.seed.addNic(vm.tenantId, vm.id, back);
    const notified: string[] = [];
    const unlisten = await fx.get(NotificationListener).listen('dataplane', (pool) => notified.push(pool));
    assert.equal((await run(operation)).status, 'succeeded');
    const added = (await nicsOf(vm))[1];
    assert.equal(added.device, 2);
    // The port the data plane expects moved (vif<domid>.2): its hosts re-derive their flows.
    for (let i = 0; i < 50 && !notified.includes(fx.poolId); i++) await new Promise((r) => setTimeout(r, 20));
    await unlisten();
    assert.ok(notified.includes(fx.poolId), 'the data plane was told');
    assert.equal((await vifsOf(vm)).find((v) => v.MAC === added.mac)?.device, '2');
    assert.equal((await xenstore(vm))['vm-data/ip2'], `${added.ip}/24`);
  });

  test('a retry after a crash past VIF.create keeps the VIF it made: one VIF with the MAC', async () => {
    const vm = await stoppedVm();
    const { operation } = await fx.seed.addNic(vm.tenantId, vm.id, back);
    await simFault(fx.sim, { method: 'VM.add_to_xenstore_data', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'], times: 1 });
    await assert.rejects(fx.attempt(operation), /HOST_OFFLINE/);
    await fx.attempt(operation, { attemptsMade: 1 });
    assert.equal((await fx.operation(operation)).status, 'succeeded');
    const added = (await nicsOf(vm))[1];
    assert.equal((await vifsOf(vm)).filter((v) => v.MAC === added.mac).length, 1);
  });
});

describe('vm.remove-nic', () => {
  test('takes the VIF and its xenstore key off, rebuilds the drive without it, then releases the address once', async () => {
    const vm = await stoppedVm();
    const add = await fx.seed.addNic(vm.tenantId, vm.id, back);
    await run(add.operation);
    const added = (await nicsOf(vm))[1];
    const op = await fx.seed.removeNic(vm.tenantId, vm.id, add.nicId);
    assert.equal((await nicsOf(vm))[1].status, 'detaching', 'held until the VIF is gone');
    assert.equal((await run(op)).status, 'succeeded');
    assert.deepEqual(
      (await nicsOf(vm)).map((n) => n.device),
      [0],
    );
    assert.equal((await vifsOf(vm)).length, 1);
    assert.equal((await xenstore(vm))['vm-data/ip1'], undefined);
    const drive = await driveNetwork(vm);
    assert.deepEqual(Object.keys(drive.ethernets), ['eth0']);
    assert.equal(drive.instanceId, vm.id);
    // Replayed (a duplicate delivery): nothing more happens; the address is free for the next NIC.
    await fx.attempt(op);
    const again = await fx.seed.addNic(vm.tenantId, vm.id, back);
    await run(again.operation);
    assert.equal((await nicsOf(vm))[1].ip, added.ip, 'the address came back to the network exactly once');
  });

  test('removing the first NIC moves the default route to the lowest one left', async () => {
    const vm = await stoppedVm();
    const add = await fx.seed.addNic(vm.tenantId, vm.id, back);
    await run(add.operation);
    const [first] = await nicsOf(vm);
    assert.equal((await run(await fx.seed.removeNic(vm.tenantId, vm.id, first.id))).status, 'succeeded');
    const drive = await driveNetwork(vm);
    assert.deepEqual(Object.keys(drive.ethernets), ['eth1']);
    assert.deepEqual((drive.ethernets.eth1 as unknown as { routes: unknown }).routes, [{ to: '0.0.0.0/0', via: '10.62.0.1' }]);
  });

  test('a running guest without PV drivers refuses it (requires_stop): the NIC, its VIF and its address stay', async () => {
    const vm = await fx.provisioned(front.tenantId, { networks: [front] });
    const [nic] = await nicsOf(vm);
    await simControl(fx.sim, `/sim/vms/${vm.xapiUuid}/guest-tools`, { present: false });
    const op = await run(await fx.seed.removeNic(vm.tenantId, vm.id, nic.id));
    assert.deepEqual([op.status, op.errorCode], ['failed', 'requires_stop']);
    assert.deepEqual(await nicsOf(vm), [{ ...nic, status: 'attached' }]);
    assert.deepEqual(
      (await vifsOf(vm)).map((v) => [v.MAC, v.currently_attached]),
      [[nic.mac, true]],
    );
  });
});
