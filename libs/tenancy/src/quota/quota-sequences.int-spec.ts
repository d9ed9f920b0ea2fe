import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { startQuotaFixture, type QuotaFixture, type VmSize } from '../testing/quota-fixture.js';
import { QUOTA_RESOURCES, UNLIMITED, ZERO, add, difference, firstShortfall, vmFootprint, type QuotaAmounts, type QuotaLimits } from './quota-math.js';
import { QuotaExceededError } from './quota.errors.js';

let fx: QuotaFixture;
before(async () => {
  fx = await startQuotaFixture();
});
after(async () => {
  await fx?.close();
});

type Command =
  | { kind: 'create'; size: VmSize }
  | { kind: 'resize'; pick: number; size: VmSize }
  | { kind: 'delete' | 'failProvision' | 'duplicateRelease'; pick: number }
  | { kind: 'setLimits'; limits: QuotaLimits };

const size = fc.record({
  vcpus: fc.integer({ min: 1, max: 4 }),
  memoryMiB: fc.integer({ min: 128, max: 4096 }),
  diskGiB: fc.integer({ min: 1, max: 40 }),
});
const limit = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: null, freq: 3 });
const limits = fc.record({
  vms: limit(6),
  vcpus: limit(14),
  memoryMiB: limit(12_000),
  diskGiB: limit(120),
  networks: limit(3),
  apiKeys: limit(3),
  keypairs: limit(3),
  volumes: limit(3),
  volumeGiB: limit(50),
  snapshots: limit(3),
  snapshotGiB: limit(50),
  publicIps: limit(3),
  securityGroups: limit(3),
  securityGroupRules: limit(3),
  imageGiB: limit(50),
});
const pick = fc.nat(50);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: size.map((s) => ({ kind: 'create' as const, size: { ...s } })) },
  { weight: 3, arbitrary: fc.tuple(pick, size).map(([p, s]) => ({ kind: 'resize' as const, pick: p, size: { ...s } })) },
  { weight: 2, arbitrary: pick.map((p) => ({ kind: 'delete' as const, pick: p })) },
  { weight: 1, arbitrary: pick.map((p) => ({ kind: 'failProvision' as const, pick: p })) },
  { weight: 2, arbitrary: pick.map((p) => ({ kind: 'duplicateRelease' as const, pick: p })) },
  { weight: 2, arbitrary: limits.map((l) => ({ kind: 'setLimits' as const, limits: { ...l } })) },
);

/** The independent model: what each VM holds, computed without the database. */
interface ModelVm {
  id: string;
  size: VmSize;
  released: boolean;
}

async function run(commands: Command[], initial: QuotaLimits): Promise<void> {
  const tenantId = await fx.tenant(initial);
  let lim = { ...initial };
  const vms: ModelVm[] = [];
  // A dimension may sit above its limit only if an operator lowered the limit below usage.
  const overByOperator = new Set<string>();
  const modelUsed = (): QuotaAmounts => vms.filter((v) => !v.released).reduce((acc, v) => add(acc, vmFootprint(v.size)), { ...ZERO });

  for (const c of commands) {
    const live = vms.filter((v) => !v.released);
    if (c.kind === 'create') {
      const id = randomUUID();
      const expected = firstShortfall({ limits: lim, used: modelUsed() }, vmFootprint(c.size));
      const outcome = await fx.ds
        .transaction(async (tx) => {
          await fx.quota.charge(tx, tenantId, vmFootprint(c.size), { resourceId: id, operationId: randomUUID() });
          await fx.insertVm(tx, tenantId, id, c.size);
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      if (expected) {
        assert.ok(outcome instanceof QuotaExceededError, `expected ${expected.resource} to be refused`);
        assert.deepEqual(outcome.extra, { ...expected });
      } else {
        assert.equal(outcome, null);
        vms.push({ id, size: c.size, released: false });
      }
    } else if (c.kind === 'resize' && live.length) {
      const vm = live[c.pick % live.length];
      const delta = difference(vmFootprint(vm.size), vmFootprint(c.size));
      const expected = firstShortfall({ limits: lim, used: modelUsed() }, delta);
      const outcome = await fx.ds
        .transaction(async (tx) => {
          await fx.quota.charge(tx, tenantId, delta, { resourceId: vm.id, operationId: randomUUID() });
          await tx.query(`UPDATE vms SET vcpus = $2, memory_mib = $3, disk_gib = $4 WHERE tenant_id = $1 AND id = $5`, [
            tenantId,
            c.size.vcpus,
            c.size.memoryMiB,
            c.size.diskGiB,
            vm.id,
          ]);
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      assert.equal(outcome instanceof QuotaExceededError, expected !== null, String(outcome));
      if (!expected) vm.size = c.size;
    } else if ((c.kind === 'delete' || c.kind === 'failProvision') && live.length) {
      // The worker's paths: a delete marks the VM deleted, a failed provision leaves it in error; both release.
      const vm = live[c.pick % live.length];
      const before = await fx.ds.transaction((tx) =>
        fx.lifecycle.apply(tx, { kind: 'vm', tenantId, id: vm.id }, 'gone', {
          patch: { status: c.kind === 'delete' ? 'deleted' : 'error' },
          operationId: randomUUID(),
        }),
      );
      assert.equal(before, 'requested', 'released from what it held');
      vm.released = true;
    } else if (c.kind === 'duplicateRelease' && vms.some((v) => v.released)) {
      const done = vms.filter((v) => v.released);
      const vm = done[c.pick % done.length];
      const again = await fx.ds.transaction((tx) =>
        fx.quota.release(tx, tenantId, vmFootprint(vm.size), { resourceId: vm.id, operationId: randomUUID() }),
      );
      assert.equal(again, false, 'a second release of the same VM is a no-op');
    } else if (c.kind === 'setLimits') {
      await fx.quota.setLimits(tenantId, c.limits);
      lim = { ...c.limits };
      const used = modelUsed();
      for (const r of QUOTA_RESOURCES) if (lim[r] !== null && used[r] > lim[r]) overByOperator.add(r);
    }

    const stored = await fx.stored(tenantId);
    const used = modelUsed();
    assert.deepEqual(stored.used, used, `after ${c.kind}: usage matches the model`);
    assert.deepEqual(await fx.ledgerSum(tenantId), used, `after ${c.kind}: usage is the sum of the ledger`);
    for (const r of QUOTA_RESOURCES) {
      assert.ok(stored.used[r] >= 0, `${r} never negative`);
      const cap = lim[r];
      if (cap === null || stored.used[r] <= cap) overByOperator.delete(r);
      else assert.ok(overByOperator.has(r), `${r} above a limit that did not change (${stored.used[r]} > ${cap})`);
    }
  }
  const recount = await fx.quota.recount(tenantId);
  assert.deepEqual(recount.drift, ZERO, 'a recount from the VM rows finds no drift');
  assert.deepEqual(recount.quota.used, modelUsed());
}

test('random sequences of create / resize / delete / failed provision / duplicate release / limit change keep usage exact', async () => {
  const initial = fc.oneof(
    fc.constant({ ...UNLIMITED }),
    limits.map((l) => ({ ...l })),
  );
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), initial, run), { numRuns: 100 });
});
