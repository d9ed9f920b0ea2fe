// Issue 20: a watcher's full view of a pool (hosts, VMs, guest metrics) is a fixed number of SQL statements however
// many VMs the pool holds, and still records what changed outside xenplane as the per-event path does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger as PinoLogger } from 'pino';
import type { Logger } from 'typeorm';
import { LOGGER, VmNicRepository, VmRepository, type NetworkEntity, type VmEntity } from '@xenplane/core';
import { eventually } from '@xenplane/testing';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { reconcileDrift } from '../worker.metrics.js';
import { GuestIpsTracker } from './guest-ips.tracker.js';
import { VmReconciler } from './vm-reconciler.js';

type Records = Record<string, Record<string, unknown>>;
let fx: WorkerFixture;
let network: NetworkEntity;
let statements: string[] | null = null;
const counting: Logger = {
  logQuery: (q: string) => void statements?.push(q),
  logQueryError: () => {},
  logQuerySlow: () => {},
  logSchemaBuild: () => {},
  logMigration: () => {},
  log: () => {},
};

before(async () => {
  fx = await startWorkerFixture();
  (fx.ds as unknown as { logger: Logger }).logger = counting;
  const tenantId = await fx.seed.tenant();
  const made = await fx.seed.network(tenantId, '10.48.0.0/24');
  await fx.attempt(made.operation);
  network = made.network;
});
after(async () => {
  await fx?.close();
});

const pool = (method: string, ...params: unknown[]) => fx.pool(method, ...params);
const refOf = (vm: VmEntity) => pool('VM.get_by_uuid', vm.xapiUuid);
const drift = async () =>
  (await reconcileDrift.get()).values.find((v) => v.labels.pool === fx.poolId && v.labels.kind === 'power_changed')?.value ?? 0;
const provision = async (n: number) => {
  const made: VmEntity[] = [];
  for (let i = 0; i < n; i++) made.push(await fx.provisioned());
  return made;
};

/** A watcher's reconciler as VmWatchService makes it, on the simulator; `onPowerCheck` runs when it asks XAPI again. */
function reconciler(onPowerCheck: (ref: string) => Promise<void> = async () => {}): VmReconciler {
  const vms = fx.get(VmRepository);
  return new VmReconciler(
    fx.poolId,
    vms,
    fx.ds.manager,
    async () => assert.fail('no VM vanished'),
    async (uuid) =>
      pool('VM.get_by_uuid', uuid).then(
        () => true,
        () => false,
      ),
    async (ref) => {
      const power = (await pool('VM.get_power_state', ref)) as string;
      await onPowerCheck(ref);
      return power;
    },
    fx.module.get<PinoLogger>(LOGGER),
    new GuestIpsTracker(fx.get(VmNicRepository), fx.ds.manager, vms),
  );
}

/** The first view a watcher folds (each class's snapshot, as event.from gives them): the statements it ran. */
async function firstView(r: VmReconciler): Promise<string[]> {
  const [hosts, vms, metrics] = (await Promise.all(['host', 'VM', 'VM_guest_metrics'].map((c) => pool(`${c}.get_all_records`)))) as Records[];
  statements = [];
  await r.handle({ kind: 'sync', class: 'host', records: hosts });
  await r.handle({ kind: 'sync', class: 'vm', records: vms });
  await r.handle({ kind: 'sync', class: 'vm_guest_metrics', records: metrics });
  const sql = statements;
  statements = null;
  return sql;
}

test('a full view of 16 VMs costs the statements one of 4 does, and records drift and transitions as events do', async () => {
  const withNic = await fx.provisioned(network.tenantId, { networks: [network] });
  const first = [...(await provision(3)), withNic];
  const nicOf = async () => (await fx.get(VmNicRepository).listForVms(withNic.tenantId, [withNic.id]))[0];
  const { ip } = await nicOf();
  // The guest's agent reports its address in VM_guest_metrics a moment after boot.
  await eventually('the agent reports', async () => JSON.stringify(await pool('VM_guest_metrics.get_all_records')).includes(ip), 10_000);
  await fx.ds.query(`UPDATE vm_nics SET guest_ips = '{}' WHERE vm_id = $1`, [withNic.id]);
  await pool('VM.hard_shutdown', await refOf(first[0]));
  const drifted = await drift();

  const small = await firstView(reconciler());
  assert.deepEqual(await fx.vm(first[0]).then((v) => [v.status, v.powerState, v.hostUuid]), ['stopped', 'Halted', null]);
  assert.equal(await drift(), drifted + 1, 'the out-of-band stop counted');
  assert.deepEqual((await nicOf()).guestIps, [ip], 'the addresses the agent reports recorded');

  const more = await provision(12);
  await pool('VM.hard_shutdown', await refOf(more[0]));
  // An operation in flight: XAPI's power state is recorded, the status stays the saga's.
  const busy = more[1];
  await fx.seed.act(busy.tenantId, busy.id, 'reboot');
  await pool('VM.hard_shutdown', await refOf(busy));
  await pool('VM.start', await refOf(first[0]), false, false);

  const large = await firstView(reconciler());
  assert.equal(large.length, small.length, `16 VMs cost what 4 did: ${large.join('\n')}`);
  assert.ok(large.length <= 6, `a read and a few batched writes: ${large.join('\n')}`);
  assert.deepEqual(await fx.vm(more[0]).then((v) => [v.status, v.powerState, v.hostUuid]), ['stopped', 'Halted', null]);
  const started = await fx.vm(first[0]);
  assert.deepEqual([started.status, started.powerState], ['running', 'Running']);
  assert.ok(started.hostUuid, 'the host it runs on');
  assert.deepEqual(await fx.vm(busy).then((v) => [v.status, v.powerState]), ['running', 'Halted']);
  assert.equal(await drift(), drifted + 3, 'a stop and a start counted, the VM whose operation runs not');

  const again = await firstView(reconciler());
  assert.equal(again.filter((q) => /UPDATE vms v SET power_state/.test(q)).length, 0, 'nothing changed, no VM row written');
  assert.equal(await drift(), drifted + 3);
});

test("a saga's success committed while the view is compared is not counted as drift", async () => {
  const [vm] = await provision(1);
  await pool('VM.hard_shutdown', await refOf(vm));
  const drifted = await drift();
  // The view read the row running; before its write, a stop's saga records its own end.
  await firstView(
    reconciler(async () => {
      await fx.ds.query(`UPDATE vms SET status = 'stopped', power_state = 'Halted', host_uuid = NULL WHERE id = $1`, [vm.id]);
    }),
  );
  assert.equal((await fx.vm(vm)).status, 'stopped');
  assert.equal(await drift(), drifted, 'the saga changed it, not XAPI behind our back');
});
