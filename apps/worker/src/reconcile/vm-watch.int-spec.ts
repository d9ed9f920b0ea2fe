// The VM watcher (VmWatchService + VmReconciler) against the simulator's event stream: what happens outside
// xenplane shows on settled VMs, a VM destroyed out of band is released, and strays are reported once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { VmNicRepository, type NetworkEntity, type VmEntity } from '@xenplane/core';
import { QuotaService } from '@xenplane/tenancy';
import { eventually, simControl } from '@xenplane/testing';
import { NetworksModule } from '../networks/networks.module.js';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { VmsModule } from '../vms/vms.module.js';
import { SnapshotsModule } from '../snapshots/snapshots.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { ImagesModule } from '../images/images.module.js';
import { reconcileDrift } from '../worker.metrics.js';
import { ReconcileModule } from './reconcile.module.js';

let fx: WorkerFixture;
before(async () => {
  fx = await startWorkerFixture({
    features: [VmsModule, NetworksModule, VolumesModule, SnapshotsModule, ImagesModule, ReconcileModule],
    env: { RECONCILE_CLAIM_INTERVAL_MS: '200', RECONCILE_SWEEP_MS: '1000' },
  });
});
after(async () => {
  await fx?.close();
});

const drift = async (kind: string) =>
  (await reconcileDrift.get()).values.find((v) => v.labels.pool === fx.poolId && v.labels.kind === kind)?.value ?? 0;
const pool = (method: string, ...params: unknown[]) => fx.pool(method, ...params);
const refOf = (vm: VmEntity) => pool('VM.get_by_uuid', vm.xapiUuid);
const runningVm = (tenantId?: string, networks: NetworkEntity[] = []) => fx.provisioned(tenantId, { networks });

/** Proof the watcher has handled every event before this point: a later out-of-band stop shows on a settled VM. */
async function watcherCaughtUp(): Promise<void> {
  const marker = await runningVm();
  await pool('VM.hard_shutdown', await refOf(marker));
  await eventually('the watcher to catch up', async () => (await fx.vm(marker)).status === 'stopped', 10_000);
}

test('an out-of-band stop and start show on a settled VM', async () => {
  const vm = await runningVm();
  const changes = await drift('power_changed');
  await pool('VM.hard_shutdown', await refOf(vm));
  await eventually('stopped seen', async () => (await fx.vm(vm)).status === 'stopped', 10_000);
  assert.equal((await fx.vm(vm)).powerState, 'Halted');
  await pool('VM.start', await refOf(vm), false, false);
  await eventually('running seen', async () => (await fx.vm(vm)).status === 'running', 10_000);
  assert.ok((await fx.vm(vm)).hostUuid, 'the host it runs on');
  const seen = fx.logs.filter((l) => l.msg === 'vm power state changed outside xenplane');
  assert.equal(await drift('power_changed'), changes + 2, `each change counted as drift: ${JSON.stringify(seen)}`);
  assert.equal(fx.logs.filter((l) => l.vmId === vm.id && l.msg === 'vm power state changed outside xenplane').length, 2);
});

test('a VM with an operation in flight keeps its status; only the observed power state follows XAPI', async () => {
  const vm = await runningVm();
  await fx.seed.act(vm.tenantId, vm.id, 'reboot');
  await pool('VM.hard_shutdown', await refOf(vm));
  await eventually('power state seen', async () => (await fx.vm(vm)).powerState === 'Halted', 10_000);
  assert.equal((await fx.vm(vm)).status, 'running', 'the saga decides its status');
});

test('a settled VM destroyed out of band is released: quota and addresses go back', async () => {
  const tenantId = await fx.seed.tenant();
  const net = await fx.seed.network(tenantId);
  await fx.attempt(net.operation);
  const vm = await runningVm(tenantId, [net.network]);
  assert.equal((await fx.get(VmNicRepository).listForVms(tenantId, [vm.id])).length, 1);
  const vanished = await drift('vanished');
  const ref = await refOf(vm);
  await pool('VM.hard_shutdown', ref);
  await pool('VM.destroy', ref);

  await eventually('released', async () => (await fx.vm(vm)).presence === 'released', 10_000);
  const row = await fx.vm(vm);
  assert.deepEqual([row.status, row.errorReason, row.powerState], ['error', 'vanished', null]);
  assert.deepEqual((await fx.get(QuotaService).get(tenantId)).used, {
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
  });
  assert.deepEqual(await fx.get(VmNicRepository).listForVms(tenantId, [vm.id]), []);
  assert.equal(await drift('vanished'), vanished + 1);
});

test("xenplane's own delete is not drift", async () => {
  const vm = await runningVm();
  const vanished = await drift('vanished');
  const del = await fx.seed.act(vm.tenantId, vm.id, 'delete');
  await fx.attempt(del);
  await watcherCaughtUp();
  assert.equal(await drift('vanished'), vanished);
  assert.equal(fx.logs.filter((l) => l.vmId === vm.id && l.msg === 'vm vanished from XAPI; quota and addresses released').length, 0);
  assert.equal((await fx.vm(vm)).status, 'deleted');
});

test('a VM tagged xenplane that no row knows is reported once, however often it is seen', async () => {
  const orphans = await drift('orphan');
  const templates = await pool('VM.get_by_name_label', 'Debian Bookworm 12');
  const stray = await pool('VM.clone', templates[0], 'stray');
  await pool('VM.provision', stray);
  await pool('VM.add_tags', stray, 'xenplane');
  const uuid = await pool('VM.get_uuid', stray);
  await eventually('the stray seen', async () => (await drift('orphan')) === orphans + 1, 10_000);
  // More events on it, and full sweeps that list it again.
  for (const name of ['stray-1', 'stray-2']) await pool('VM.set_name_label', stray, name);
  const sweeps = (await fx.calls())['VM.get_all_records'] ?? 0;
  await eventually('two sweeps', async () => ((await fx.calls())['VM.get_all_records'] ?? 0) >= sweeps + 2, 10_000);
  await watcherCaughtUp();
  assert.equal(await drift('orphan'), orphans + 1);
  assert.equal(fx.logs.filter((l) => l.xapiUuid === uuid && l.msg === 'XAPI VM tagged xenplane has no live row').length, 1);
});

test("the addresses a guest's agent reports show per NIC as guestIps, and go when it stops reporting", async () => {
  const tenantId = await fx.seed.tenant();
  const net = await fx.seed.network(tenantId, '10.77.0.0/24');
  await fx.attempt(net.operation);
  const vm = await runningVm(tenantId, [net.network]);
  const nicOf = async () => (await fx.get(VmNicRepository).listForVms(tenantId, [vm.id]))[0];
  const { ip } = await nicOf();
  // The simulated guest configures what xenstore says (vm-data/ip0) and its agent reports it in VM_guest_metrics.
  await eventually('guest ips seen', async () => (await nicOf()).guestIps.join() === ip, 10_000);
  await simControl(fx.sim, `/sim/vms/${vm.xapiUuid}/guest-tools`, { present: false });
  await eventually('guest ips gone with the agent', async () => (await nicOf()).guestIps.length === 0, 10_000);
  await simControl(fx.sim, `/sim/vms/${vm.xapiUuid}/guest-tools`, { present: true });
  await eventually('guest ips back', async () => (await nicOf()).guestIps.join() === ip, 10_000);
  await pool('VM.hard_shutdown', await refOf(vm));
  await eventually('none while halted', async () => (await nicOf()).guestIps.length === 0, 10_000);
});
