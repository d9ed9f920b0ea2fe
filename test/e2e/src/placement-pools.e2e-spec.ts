// Issue 18's placement proof over the real processes: 3 simulated pools in 2 zones (zone-a: pools a and b, 3 hosts
// each; zone-b: pool c, 2 hosts), 300 creates sent concurrently over the API in two halves, with anti-affinity,
// soft-anti-affinity and affinity server groups. Between the halves pool b's simulator is stopped: once the worker
// has marked it down, the second half never lands there. Every refusal is 409 no_capacity naming its filter; every
// accepted VM runs once, on the host the API shows, as its group's policy says; quota equals the recount.
// Zero simulated latency: only placement is the point.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, poolCensus, startSimProcess, type SimProcess } from '@xenplane/testing';
import { client, EVERY_VM_STATUS, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const FILTERS = ['zone', 'pool_connected', 'host_live', 'host_enabled', 'image', 'storage', 'memory', 'vcpus', 'server_group'];
type Vm = {
  id: string;
  name: string;
  status: string;
  hostId: string | null;
  hostXapiUuid: string | null;
  poolId: string;
  serverGroupId: string | null;
};
type Answer = { status: number; body: any };

let stack: Stack;
let simB: SimProcess;
let simC: SimProcess;

before(async () => {
  [stack, simB, simC] = await Promise.all([startStack({ SIM_HOSTS: '3' }), startSimProcess({ SIM_HOSTS: '3' }), startSimProcess({ SIM_HOSTS: '2' })]);
});
after(async () => {
  await stack?.stop();
  await Promise.all([simB?.stop(), simC?.stop()]);
});

/** One half of the run: what to create (groups by name, zone pins), all sent at once. */
interface Wave {
  groups: { name: string; policy: string; creates: number; zone?: string }[];
  plain: number;
  nowhere: number;
}

test(
  '300 creates over 3 pools in 2 zones: groups hold, a pool that goes down is skipped, every refusal names its filter',
  { timeout: 300_000 },
  async () => {
    const started = Date.now();
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const poolA = (await op('GET', '/v1/pools')).body.items[0].id as string;
    const register = async (name: string, url: string) => {
      const r = await op('POST', '/v1/pools', { name, url, username: 'root', password: 'xenroot' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    };
    const [poolB, poolC] = [await register('pool-b', simB.url), await register('pool-c', simC.url)];
    const zoneOf = new Map([
      [poolA, 'zone-a'],
      [poolB, 'zone-a'],
      [poolC, 'zone-b'],
    ]);
    for (const [id, zone] of zoneOf) assert.equal((await op('PATCH', `/v1/pools/${id}`, { region: 'eu', zone })).status, 200);
    await eventually(
      '8 hosts synced, every pool connected',
      async () => {
        const pools = (await op('GET', '/v1/pools')).body.items as { status: string }[];
        return (await op('GET', '/v1/hosts?limit=500')).body.items.length === 8 && pools.every((p) => p.status === 'connected');
      },
      60_000,
    );
    const flavor = await op('POST', '/v1/flavors', { name: 'pl', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
    const image = await op('POST', '/v1/images', { name: 'pl', template: 'Debian Bookworm 12' });
    const tenants = [
      (await op('POST', '/v1/tenants', { name: 'pl-red' })).body.id,
      (await op('POST', '/v1/tenants', { name: 'pl-blue' })).body.id,
    ] as string[];

    const groupIds = new Map<string, { id: string; policy: string; tenantId: string }>();
    const answers: { answer: Answer; wave: number; tenantId: string; group?: string; zone?: string }[] = [];
    let n = 0;
    const runWave = async (wave: number, w: Wave) => {
      const sends: Promise<void>[] = [];
      const send = (tenantId: string, extra: Record<string, unknown>, meta: { group?: string; zone?: string }) =>
        sends.push(
          op('POST', `/v1/vms?tenantId=${tenantId}`, { name: `pl-${n++}`, flavorId: flavor.body.id, imageId: image.body.id, ...extra }).then(
            (answer) => {
              answers.push({ answer, wave, tenantId, ...meta });
            },
          ),
        );
      for (const [i, g] of w.groups.entries()) {
        const tenantId = tenants[i % 2];
        const made = await op('POST', `/v1/server-groups?tenantId=${tenantId}`, { name: g.name, policy: g.policy });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        groupIds.set(g.name, { id: made.body.id, policy: g.policy, tenantId });
        for (let k = 0; k < g.creates; k++)
          send(tenantId, { serverGroupId: made.body.id, ...(g.zone ? { zone: g.zone } : {}) }, { group: g.name, zone: g.zone });
      }
      for (let k = 0; k < w.plain; k++) {
        const zone = [undefined, 'zone-a', 'zone-b'][k % 3];
        send(tenants[k % 2], zone ? { zone } : {}, { zone });
      }
      for (let k = 0; k < w.nowhere; k++) send(tenants[k % 2], { zone: 'zone-x' }, { zone: 'zone-x' });
      await Promise.all(sends);
    };

    // Zone a has 6 hosts while pool b is up, 3 after: anti-affinity groups one larger than that are refused once each.
    await runWave(1, {
      groups: [
        { name: 'aa-1', policy: 'anti-affinity', creates: 7, zone: 'zone-a' },
        { name: 'soft-1', policy: 'soft-anti-affinity', creates: 10, zone: 'zone-b' },
        { name: 'aff-1', policy: 'affinity', creates: 10 },
      ],
      plain: 121,
      nowhere: 2,
    });
    const listAll = async () =>
      (
        await Promise.all(tenants.map(async (t) => (await op('GET', `/v1/vms?tenantId=${t}&limit=500&${EVERY_VM_STATUS}`)).body.items as Vm[]))
      ).flat();
    const settled = async (what: string, count: number) =>
      eventually(
        what,
        async () => {
          const vms = await listAll();
          return vms.length === count && vms.every((v) => v.status === 'running' || v.status === 'error') && vms;
        },
        120_000,
      );
    const acceptedIn = (wave: number) => answers.filter((a) => a.wave === wave && a.answer.status === 202).length;
    const first = await settled('the first half settled', acceptedIn(1));
    const censusB = await poolCensus(simB);

    // Pool b goes down; once its worker has seen it, no placement considers it.
    await simB.stop('SIGKILL');
    await eventually('pool b shown down', async () => (await op('GET', `/v1/pools/${poolB}`)).body.status !== 'connected', 30_000);
    await runWave(2, {
      groups: [
        { name: 'aa-2', policy: 'anti-affinity', creates: 4, zone: 'zone-a' },
        { name: 'soft-2', policy: 'soft-anti-affinity', creates: 9, zone: 'zone-a' },
        { name: 'aff-2', policy: 'affinity', creates: 10, zone: 'zone-b' },
      ],
      plain: 125,
      nowhere: 2,
    });
    assert.equal(answers.length, 300);
    const all = await settled('every accepted VM settled', acceptedIn(1) + acceptedIn(2));
    const runMs = Date.now() - started;

    // Refusals: only where a policy or an empty zone demands one, each naming the filter that emptied the list.
    const refused = answers.filter((a) => a.answer.status !== 202);
    for (const r of refused) {
      assert.equal(r.answer.status, 409, JSON.stringify(r.answer.body));
      assert.equal(r.answer.body.code, 'no_capacity');
      assert.ok(FILTERS.includes(r.answer.body.filter), JSON.stringify(r.answer.body));
      assert.ok((r.answer.body.rejected.byReason[r.answer.body.filter] ?? 0) > 0, JSON.stringify(r.answer.body));
    }
    const refusedBy = (pred: (a: (typeof refused)[number]) => boolean) => refused.filter(pred).map((a) => a.answer.body.filter as string);
    assert.deepEqual(
      refusedBy((a) => a.group === 'aa-1'),
      ['server_group'],
      'aa-1: 7 asked, 6 hosts in zone a',
    );
    assert.deepEqual(
      refusedBy((a) => a.group === 'aa-2'),
      ['server_group'],
      'aa-2: 4 asked, 3 hosts left in zone a',
    );
    assert.deepEqual(
      refusedBy((a) => a.zone === 'zone-x'),
      ['zone', 'zone', 'zone', 'zone'],
    );
    assert.equal(refused.length, 6, JSON.stringify(refused.map((r) => [r.group, r.zone, r.answer.body.filter])));

    // Every accepted VM runs once, where the API says, in its zone; none of the second half on the pool that went down.
    assert.deepEqual(
      all.filter((v) => v.status !== 'running').map((v) => v.name),
      [],
    );
    const censuses = [await poolCensus(stack.sim), censusB, await poolCensus(simC)];
    const firstIds = new Set(first.map((v) => v.id));
    const zoneAsked = new Map(answers.filter((a) => a.answer.status === 202).map((a) => [a.answer.body.vm.id as string, a.zone]));
    for (const vm of all) {
      const copies = censuses.flatMap((c) => c.byId.get(vm.id) ?? []);
      assert.equal(copies.length, 1, `${vm.name} exists ${copies.length} times`);
      assert.equal(copies[0].power_state, 'Running');
      if (!firstIds.has(vm.id)) assert.notEqual(vm.poolId, poolB, `${vm.name} (second half) was placed on the pool that was down`);
      const zone = zoneAsked.get(vm.id);
      if (zone) assert.equal(zoneOf.get(vm.poolId), zone, `${vm.name} asked for ${zone}`);
    }
    const hostsOf = (group: string) => {
      const g = groupIds.get(group)!;
      return all.filter((v) => v.serverGroupId === g.id).map((v) => v.hostId!);
    };
    for (const g of ['aa-1', 'aa-2']) assert.equal(new Set(hostsOf(g)).size, hostsOf(g).length, `${g}: one member per host`);
    assert.equal(hostsOf('aa-1').length, 6);
    assert.equal(hostsOf('aa-2').length, 3);
    for (const g of ['aff-1', 'aff-2']) assert.deepEqual([hostsOf(g).length, new Set(hostsOf(g)).size], [10, 1], `${g}: all on one host`);
    for (const [g, hosts] of [
      ['soft-1', 2],
      ['soft-2', 3],
    ] as const) {
      const counts = [
        ...hostsOf(g)
          .reduce((m, h) => m.set(h, (m.get(h) ?? 0) + 1), new Map<string, number>())
          .values(),
      ];
      assert.equal(counts.length, hosts, `${g}: over every host of its zone`);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${g}: spread evenly (${counts.join(', ')})`);
    }
    const perPool = (wave: number) =>
      Object.fromEntries(
        [...zoneOf.keys()].map((p) => [
          p === poolA ? 'a' : p === poolB ? 'b' : 'c',
          all.filter((v) => v.poolId === p && firstIds.has(v.id) === (wave === 1)).length,
        ]),
      );
    console.log(JSON.stringify({ runMs, perPoolFirstHalf: perPool(1), perPoolSecondHalf: perPool(2), refused: refused.length }));
    assert.ok(perPool(1).b > 0, 'pool b took VMs while it was up');

    // Quota: what each tenant is charged is what it holds, and the recount finds no drift.
    for (const t of tenants) {
      const ids = new Set(answers.filter((a) => a.answer.status === 202 && a.tenantId === t).map((a) => a.answer.body.vm.id as string));
      const mine = all.filter((v) => ids.has(v.id));
      const quota = (await op('GET', `/v1/tenants/${t}/quota`)).body;
      assert.deepEqual([quota.used.vms, quota.used.vcpus], [mine.length, mine.length]);
      const recount = await op('POST', `/v1/tenants/${t}/quota/recount`);
      assert.equal(recount.status, 200);
      assert.deepEqual(
        Object.values(recount.body.drift ?? {}).filter((d) => d !== 0),
        [],
      );
    }
  },
);
