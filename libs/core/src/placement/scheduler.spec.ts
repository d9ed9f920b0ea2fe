import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule, type HostCandidate, type PlacementRequest } from './scheduler.js';

const GiB = 1024 ** 3;

function host(id: string, over: Partial<HostCandidate> = {}): HostCandidate {
  return {
    hostId: id,
    hostName: id,
    poolId: 'p1',
    poolName: 'one',
    poolStatus: 'connected',
    region: 'eu',
    zone: 'eu-1',
    poolWeight: 1,
    cpuAllocationRatio: 4,
    memoryAllocationRatio: 1,
    srFreeBytes: 1000 * GiB,
    enabled: true,
    live: true,
    maintenance: false,
    memoryTotalBytes: 64 * GiB,
    memoryFreeBytes: 60 * GiB,
    cpuCount: 8,
    allocatedMemoryBytes: 0,
    allocatedVcpus: 0,
    pendingMemoryBytes: 0,
    tenantVms: 0,
    groupMembers: 0,
    imageAvailable: true,
    ...over,
  };
}

const small: PlacementRequest = { vcpus: 2, memoryBytes: 4 * GiB, diskBytes: 20 * GiB };

describe('scheduler filters', () => {
  test('each host is counted under the first filter it fails, and the refusal names the filter that removed the last', () => {
    const result = schedule(
      [
        host('a', { poolStatus: 'error' }),
        host('b', { live: false }),
        host('c', { enabled: false }),
        host('d', { maintenance: true }),
        host('e', { imageAvailable: false }),
        host('f', { srFreeBytes: 10 * GiB }),
        host('g', { memoryFreeBytes: 3 * GiB }),
        host('h', { allocatedVcpus: 31 }),
      ],
      small,
    );
    assert.deepEqual(result, {
      ok: false,
      filter: 'vcpus',
      rejected: { hostsConsidered: 8, byReason: { pool_connected: 1, host_live: 1, host_enabled: 2, image: 1, storage: 1, memory: 1, vcpus: 1 } },
    });
  });

  test('zone and region pin the pool; an unknown zone is a zone refusal', () => {
    const hosts = [host('a'), host('b', { poolId: 'p2', zone: 'eu-2' })];
    const pinned = schedule(hosts, { ...small, zone: 'eu-2' });
    assert.ok(pinned.ok && pinned.chosen.hostId === 'b');
    const none = schedule(hosts, { ...small, zone: 'us-1' });
    assert.deepEqual(none, { ok: false, filter: 'zone', rejected: { hostsConsidered: 2, byReason: { zone: 2 } } });
    assert.equal(schedule(hosts, { ...small, region: 'us' }).ok, false);
  });

  test('memory counts claims not yet resident against the observed free memory, and the ratio against the total', () => {
    // 60 GiB free, 57 GiB claimed elsewhere on it and not started: 3 GiB left, not enough for 4.
    assert.equal(schedule([host('a', { pendingMemoryBytes: 57 * GiB })], small).ok, false);
    // Allocated 61 of 64 GiB: refused at ratio 1, taken at ratio 1.5 (96 GiB promised, headroom from the ratio).
    const full = host('a', { allocatedMemoryBytes: 61 * GiB, memoryFreeBytes: 3 * GiB });
    assert.equal(schedule([full], small).ok, false);
    assert.equal(schedule([{ ...full, memoryAllocationRatio: 1.5 }], small).ok, true);
  });

  test('vCPU overcommit follows the ratio', () => {
    assert.equal(schedule([host('a', { allocatedVcpus: 31 })], small).ok, false);
    assert.equal(schedule([host('a', { allocatedVcpus: 31, cpuAllocationRatio: 5 })], small).ok, true);
  });

  test('anti-affinity refuses a host with a member; affinity keeps to the members; soft anti-affinity only prefers', () => {
    const hosts = [host('a', { groupMembers: 1 }), host('b', { groupMembers: 0 })];
    const anti = schedule(hosts, { ...small, group: { policy: 'anti-affinity', members: 1 } });
    assert.ok(anti.ok && anti.chosen.hostId === 'b');
    const full = schedule([host('a', { groupMembers: 1 })], { ...small, group: { policy: 'anti-affinity', members: 1 } });
    assert.deepEqual(full, { ok: false, filter: 'server_group', rejected: { hostsConsidered: 1, byReason: { server_group: 1 } } });
    const aff = schedule(hosts, { ...small, group: { policy: 'affinity', members: 1 } });
    assert.ok(aff.ok && aff.chosen.hostId === 'a');
    const first = schedule([host('b'), host('c', { memoryFreeBytes: 10 * GiB })], { ...small, group: { policy: 'affinity', members: 0 } });
    assert.ok(first.ok, 'the first member of an affinity group may go anywhere');
    const soft = schedule([host('a', { groupMembers: 1 })], { ...small, group: { policy: 'soft-anti-affinity', members: 1 } });
    assert.ok(soft.ok && soft.chosen.hostId === 'a', 'soft anti-affinity places rather than refuses');
    const softPick = schedule(hosts, { ...small, group: { policy: 'soft-anti-affinity', members: 1 } });
    assert.ok(softPick.ok && softPick.chosen.hostId === 'b');
  });

  test('an excluded host (the one a VM leaves) is not considered', () => {
    const r = schedule([host('a'), host('b')], { ...small, excludeHostIds: ['a'] });
    assert.ok(r.ok && r.chosen.hostId === 'b' && r.rejected.hostsConsidered === 1);
  });
});

describe('scheduler weighers', () => {
  test('more free memory wins; a tenant spreads over hosts; the pool weight scales the score', () => {
    const roomy = schedule([host('a', { allocatedMemoryBytes: 32 * GiB }), host('b')], small);
    assert.ok(roomy.ok && roomy.chosen.hostId === 'b');
    const spread = schedule([host('a', { tenantVms: 3 }), host('b', { tenantVms: 0, allocatedMemoryBytes: 8 * GiB })], small);
    assert.ok(spread.ok && spread.chosen.hostId === 'b', 'the tenant goes where it has fewer VMs');
    const weighted = schedule([host('a'), host('b', { poolId: 'p2', poolWeight: 3, allocatedMemoryBytes: 40 * GiB })], small);
    assert.ok(weighted.ok && weighted.chosen.hostId === 'b');
    assert.equal(weighted.ranking.length, 2);
    assert.deepEqual(Object.keys(weighted.ranking[0].weighers).sort(), ['freeMemory', 'poolWeight', 'softAntiAffinity', 'tenantSpread']);
  });

  test('a pool no worker has reported yet is taken only when no reported host fits', () => {
    const unknown = host('x', { hostId: null, hostName: null, poolId: 'p9', memoryTotalBytes: 0, memoryFreeBytes: 0, cpuCount: 0 });
    const both = schedule([unknown, host('a')], small);
    assert.ok(both.ok && both.chosen.hostId === 'a');
    const alone = schedule([unknown, host('a', { live: false })], small);
    assert.ok(alone.ok && alone.chosen.hostId === null && alone.chosen.poolId === 'p9');
  });
});
