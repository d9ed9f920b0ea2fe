// Snapshots under worker crashes: VM and volume snapshots, reverts and deletes while the worker is SIGKILLed leave every
// operation terminal, one snapshot on the pool per live row and none for the others, no disk nobody holds, every VM
// running or stopped at the sizes its row says, and the quota recount without drift.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simLatency, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';
import { terminal as allTerminal, workerKiller, type WorkerKiller } from './crash-harness.js';

const VMS = 4;
const MiB = 1024 ** 2;
let stack: Stack;
let killer: WorkerKiller;
const WORKER_ENV = { WORKER_LOCK_MS: '2000', OPERATION_SWEEP_MS: '2000', WORKER_CONCURRENCY: '8' };

before(async () => {
  stack = await startStack({ SIM_HOSTS: '3' }, WORKER_ENV);
  killer = workerKiller(stack, WORKER_ENV, 90_000);
});
after(async () => {
  await killer?.stop();
  await stack?.stop();
});

test(
  'snapshots taken, reverted to and deleted while the worker is SIGKILLed end consistent, with nothing orphaned',
  { timeout: 420_000 },
  async () => {
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const small = (await op('POST', '/v1/flavors', { name: 'sc-small', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body.id;
    const big = (await op('POST', '/v1/flavors', { name: 'sc-big', vcpus: 2, memoryMiB: 512, diskGiB: 10 })).body.id;
    const image = (await op('POST', '/v1/images', { name: 'sc', template: 'Debian Bookworm 12' })).body.id;
    const tenant = (await op('POST', '/v1/tenants', { name: 'snapshot-crash' })).body.id as string;
    const t = `?tenantId=${tenant}`;
    const terminal = (ids: string[]) => allTerminal(op, tenant, ids, 180_000);
    const accepted = (rs: { status: number; body: any }[]) => {
      assert.ok(
        rs.every((r) => r.status === 202),
        JSON.stringify(rs.find((r) => r.status !== 202)?.body),
      );
      return rs.map((r) => r.body.operation.id as string);
    };
    const net = await op('POST', `/v1/networks${t}`, { name: 'lan', cidr: '10.7.0.0/24' });
    await terminal([net.body.operation.id]);
    const vmOps = await Promise.all(
      Array.from({ length: VMS }, (_, i) =>
        op('POST', `/v1/vms${t}`, { name: `s${i}`, flavorId: small, imageId: image, networkIds: [net.body.network.id] }),
      ),
    );
    const volOps = await Promise.all([0, 1].map((i) => op('POST', `/v1/volumes${t}`, { name: `d${i}`, sizeGiB: 2 })));
    const made = await terminal(accepted([...vmOps, ...volOps]));
    assert.ok(
      made.every((o) => o.status === 'succeeded'),
      JSON.stringify(made.filter((o) => o.status !== 'succeeded')),
    );
    const vms = vmOps.map((r) => r.body.vm.id as string);
    const volumes = volOps.map((r) => r.body.volume.id as string);
    await terminal(accepted([await op('POST', `/v1/volumes/${volumes[0]}/actions${t}`, { action: 'attach', vmId: vms[0] })]));

    for (const [method, ms] of [
      ['VM.snapshot', 150],
      ['VDI.snapshot', 80],
      ['VM.revert', 200],
      ['VM.clean_shutdown', 100],
      ['VM.destroy', 80],
    ] as const)
      await simLatency(stack.sim.url, method, ms);
    // Two rounds of snapshots (one operation at a time per VM or volume), the worker killed during each.
    const snaps: string[] = [];
    for (const round of [0, 1]) {
      const rs = await Promise.all([
        ...vms.map((id) => op('POST', `/v1/vms/${id}/snapshots${t}`, { name: `r${round}` })),
        ...volumes.map((id) => op('POST', `/v1/volumes/${id}/snapshots${t}`, { name: `r${round}` })),
      ]);
      const ids = accepted(rs);
      snaps.push(...rs.map((r) => r.body.snapshot.id as string));
      await killer.killsDuring([200, 450]);
      await terminal(ids);
    }
    // Resized, then reverted to the first round's snapshot while the worker dies.
    const stopped = await Promise.all(vms.slice(0, 2).map((id) => op('POST', `/v1/vms/${id}/actions${t}`, { action: 'stop' })));
    await terminal(accepted(stopped));
    await terminal(accepted(await Promise.all(vms.map((id) => op('PATCH', `/v1/vms/${id}${t}`, { flavorId: big })))));
    const firstOf = async (vmId: string) =>
      (await op('GET', `/v1/vms/${vmId}/snapshots${t}&limit=50`)).body.items.find((s: { name: string }) => s.name === 'r0') as {
        id: string;
        status: string;
      };
    const reverts = [];
    for (const id of vms) {
      const s = await firstOf(id);
      if (s.status === 'available') reverts.push(await op('POST', `/v1/snapshots/${s.id}/revert${t}`));
    }
    const revertIds = accepted(reverts);
    await killer.killsDuring([300, 700, 400]);
    await terminal(revertIds);
    // Every second snapshot deleted while the worker dies.
    const live = (await op('GET', `/v1/snapshots${t}&limit=500`)).body.items as { id: string; status: string }[];
    const deletes = [];
    for (const [i, s] of live.entries())
      if (i % 2 === 0 && (s.status === 'available' || s.status === 'error')) deletes.push(await op('DELETE', `/v1/snapshots/${s.id}${t}`));
    const deleteIds = accepted(deletes);
    await killer.killsDuring([150, 400]);
    await terminal(deleteIds);

    const pool = await xapi(stack.sim.url);
    const all = (
      await op('GET', `/v1/snapshots${t}&limit=500&status=pending&status=available&status=reverting&status=deleting&status=deleted&status=error`)
    ).body.items as { id: string; status: string; kind: string; xapiUuid: string | null; vmSizes: { vcpus: number; memoryMiB: number } | null }[];
    assert.equal(all.length, snaps.length);
    const vmRecords = Object.values<Record<string, any>>(await pool('VM.get_all_records'));
    const vdiRecords = Object.entries<Record<string, any>>(await pool('VDI.get_all_records'));
    const snapshotVms = vmRecords.filter((v) => v.is_a_snapshot);
    const held = new Set<string>();
    for (const s of all) {
      assert.ok(['available', 'deleted', 'error'].includes(s.status), `snapshot ${s.id} is ${s.status}`);
      const mine =
        s.kind === 'vm'
          ? snapshotVms.filter((v) => v.name_label === `xenplane-snapshot-${s.id}`)
          : vdiRecords.filter(([, d]) => d.is_a_snapshot && d.other_config['xenplane-snapshot'] === s.id).map(([, d]) => d);
      if (s.status === 'available') {
        assert.equal(mine.length, 1, `snapshot ${s.id} has ${mine.length} objects on the pool`);
        assert.equal(mine[0].uuid, s.xapiUuid);
        held.add(s.xapiUuid!);
      } else if (s.status === 'error' && mine.length === 1 && mine[0].uuid === s.xapiUuid) {
        held.add(s.xapiUuid!); // a delete that failed keeps the snapshot (and its quota) until it is deleted again
      } else assert.deepEqual(mine, [], `snapshot ${s.id} (${s.status}) left its copy behind`);
    }
    assert.ok(all.filter((s) => s.status === 'available').length >= snaps.length / 2 - 2, 'crashes cost retries, not snapshots');
    for (const v of snapshotVms) assert.ok(held.has(v.uuid), `snapshot VM ${v.name_label} has no live row`);
    // Every disk is someone's: a VBD holds it (a VM's, a snapshot's), or it is a live volume, config drive or volume snapshot.
    const liveVolumeVdis = new Set(((await op('GET', `/v1/volumes${t}&limit=500`)).body.items as { xapiUuid: string }[]).map((v) => v.xapiUuid));
    for (const [, d] of vdiRecords) {
      if ((d.VBDs as string[]).length > 0 || d.other_config['xenplane-configdrive']) continue;
      if (liveVolumeVdis.has(d.uuid) || held.has(d.uuid)) continue;
      assert.fail(`VDI ${d.uuid} (${d.name_label}, snapshot ${d.is_a_snapshot}) is held by nothing`);
    }
    // The VMs are settled at the sizes their rows hold, and the reverted ones at their snapshot's.
    for (const id of vms) {
      const vm = (await op('GET', `/v1/vms/${id}${t}`)).body;
      assert.ok(['running', 'stopped'].includes(vm.status), `VM ${id} is ${vm.status}`);
      const rec = vmRecords.find((v) => v.uuid === vm.xapiUuid)!;
      assert.deepEqual([Number(rec.VCPUs_at_startup), Number(rec.memory_dynamic_max)], [vm.vcpus, vm.memoryMiB * MiB], `VM ${id} sizes`);
    }
    const reverted = (await terminal(revertIds)).filter((o) => o.status === 'succeeded').length;
    assert.ok(reverted >= revertIds.length - 1, `only ${reverted} of ${revertIds.length} reverts succeeded`);
    const recount = (await op('POST', `/v1/tenants/${tenant}/quota/recount`)).body;
    assert.ok(
      Object.values(recount.drift).every((d) => d === 0),
      JSON.stringify(recount.drift),
    );
  },
);
