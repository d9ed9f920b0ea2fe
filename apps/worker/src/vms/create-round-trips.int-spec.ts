// Issue 20: a VM create is a fixed, small number of XAPI calls (tasks included, events excluded) and SQL statements.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from 'typeorm';
import { HostRepository, type NetworkEntity } from '@xenplane/core';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import type { VmSpec } from '../testing/worker-seeds.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO8S6BULLDKt+Z2DImlJduxYFRtXzKt8NhOOr0AWMOGO alice@laptop';
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

let claim: string;
/** A create as the API leaves it: the VM's row with its host claim (the scheduler's, in the request). */
async function accepted(tenantId: string, spec?: VmSpec) {
  const made = await fx.seed.vm(tenantId, spec);
  await fx.ds.query(`UPDATE vms SET placed_host_id = $2 WHERE id = $1`, [made.vm.id, claim]);
  return made;
}

before(async () => {
  fx = await startWorkerFixture();
  // What pool sync records (the fixture leaves its loop out).
  const observed = await (await fx.get(XapiPoolsService).forPool(fx.poolId)).listHosts();
  const rows = observed.map((h) => ({ ...h, xapiUuid: h.uuid, memoryTotalBytes: h.memoryTotal, memoryFreeBytes: h.memoryFree }));
  await fx.ds.transaction((tx) => fx.get(HostRepository).replaceForPool(tx, fx.poolId, rows));
  [{ id: claim }] = await fx.ds.query<{ id: string }[]>(`SELECT id FROM hosts WHERE pool_id = $1 ORDER BY name LIMIT 1`, [fx.poolId]);
  (fx.ds as unknown as { logger: Logger }).logger = counting;
  const tenantId = await fx.seed.tenant();
  const made = await fx.seed.network(tenantId, '10.46.0.0/24');
  await fx.attempt(made.operation);
  network = made.network;
  // warm: the pool's session, its template and network refs
  const warm = await accepted(tenantId, { networks: [network], bootstrap: { sshKeys: [KEY], userData: '#!/bin/sh\n' } });
  await fx.attempt(warm.operation);
});
after(async () => {
  await fx?.close();
});

const EXCLUDED = /^(event\.|session\.)/;
async function measured(fn: () => Promise<void>): Promise<{ calls: Record<string, number>; sql: string[] }> {
  const before = await fx.calls();
  statements = [];
  await fn();
  const sql = statements;
  statements = null;
  const after = await fx.calls();
  const calls: Record<string, number> = {};
  for (const [m, n] of Object.entries(after)) {
    const d = n - (before[m] ?? 0);
    if (d > 0 && !EXCLUDED.test(m) && m !== 'sim.state') calls[m] = d;
  }
  return { calls, sql };
}
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

// Every create configures the clone the same way: one read of it, our keys and the disk's size in one write, then
// provision, memory, name and tag. Clone, provision and start are synchronous calls: xapi's own tasks, which it destroys.
const CONFIGURE = {
  'VM.clone': 1,
  'VM.get_record': 1,
  'VM.set_other_config': 1,
  'VM.provision': 1,
  'VM.set_memory_limits': 1,
  'VM.set_name_label': 1,
  'VM.add_tags': 1,
  'VM.start_on': 1,
};

describe('vm.create round trips (a warm pool connection: template, network, host and SR refs known)', () => {
  test('without a config drive: 8 XAPI calls and a fixed number of SQL statements', async () => {
    const tenantId = await fx.seed.tenant();
    // a disk larger than the template's 10 GiB: grown in the provision spec, not by a VDI.resize after
    const { vm, operation } = await accepted(tenantId, { flavor: await fx.seed.flavor({ vcpus: 1, memoryMiB: 512, diskGiB: 20 }) });
    const m = await measured(() => fx.attempt(operation));
    assert.equal((await fx.vm(vm)).status, 'running');
    assert.deepEqual(m.calls, CONFIGURE);
    assert.equal(total(m.calls), 8);
    assert.equal(m.sql.length, 14, m.sql.join('\n'));
    // provision made the boot disk at the flavor's size from the grown spec: bootable, nothing resized after
    const [vbd] = (await fx.pool('VM.get_VBDs', await fx.pool('VM.get_by_uuid', (await fx.vm(vm)).xapiUuid))) as string[];
    const disk = (await fx.pool('VBD.get_record', vbd)) as { bootable: boolean; VDI: string; userdevice: string };
    assert.deepEqual([disk.userdevice, disk.bootable], ['0', true]);
    assert.equal(Number(await fx.pool('VDI.get_virtual_size', disk.VDI)), vm.diskGiB * 1024 ** 3);
  });

  test('with a config drive (a keypair, user-data, one NIC): 14 XAPI calls', async () => {
    const { vm, operation } = await accepted(network.tenantId, { networks: [network], bootstrap: { sshKeys: [KEY], userData: '#cloud-config\n' } });
    const m = await measured(() => fx.attempt(operation));
    assert.equal((await fx.vm(vm)).status, 'running');
    assert.deepEqual(m.calls, {
      ...CONFIGURE,
      // the NIC: its VIF (the network's ref known) and its address where legacy guests read it
      'VIF.create': 1,
      'VM.add_to_xenstore_data': 1,
      // the drive: made with its marker and digest, uploaded under our task, then attached
      'VDI.create': 1,
      'task.create': 1,
      'task.destroy': 1,
      'VBD.create': 1,
    });
    assert.equal(total(m.calls), 14);
    assert.equal(m.sql.length, 14, m.sql.join('\n'));
    const vbds = (await fx.pool('VM.get_VBDs', await fx.pool('VM.get_by_uuid', (await fx.vm(vm)).xapiUuid))) as string[];
    const modes = await Promise.all(vbds.map(async (v) => (await fx.pool('VBD.get_mode', v)) as string));
    assert.deepEqual(modes.sort(), ['RO', 'RW'], 'its boot disk and its drive, read-only');
  });
});
