import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkProviderSubnet } from './provider-subnet.js';

const ok = { cidr: '203.0.113.0/24', gateway: '203.0.113.1', allocationPools: [{ start: '203.0.113.10', end: '203.0.113.19' }] };

test('a public subnet with a gateway outside its pools is accepted; pools come back sorted, capacity summed', () => {
  const { subnet, problems } = checkProviderSubnet({
    ...ok,
    allocationPools: [
      { start: '203.0.113.100', end: '203.0.113.100' },
      { start: '203.0.113.10', end: '203.0.113.19' },
    ],
  });
  assert.deepEqual(problems, []);
  assert.equal(subnet!.capacity, 11);
  assert.deepEqual(
    subnet!.pools.map((p) => p.first & 255),
    [10, 100],
  );
});

test('overlapping pools name both, a gateway outside the CIDR or inside a pool is refused', () => {
  const overlap = checkProviderSubnet({
    ...ok,
    allocationPools: [
      { start: '203.0.113.10', end: '203.0.113.30' },
      { start: '203.0.113.30', end: '203.0.113.40' },
    ],
  });
  assert.deepEqual(overlap.problems, [{ path: 'allocationPools.1', message: 'overlaps allocationPools.0' }]);
  assert.deepEqual(checkProviderSubnet({ ...ok, gateway: '198.51.100.1' }).problems, [
    { path: 'gateway', message: '198.51.100.1 is not a host address of 203.0.113.0/24' },
  ]);
  assert.deepEqual(checkProviderSubnet({ ...ok, gateway: '203.0.113.15' }).problems, [
    { path: 'allocationPools.0', message: 'holds the gateway 203.0.113.15' },
  ]);
});

test('pools outside the CIDR, on its broadcast, upside down, or not addresses; CIDRs with host bits or odd prefixes', () => {
  const paths = (pools: { start: string; end: string }[]) => checkProviderSubnet({ ...ok, allocationPools: pools }).problems.map((p) => p.path);
  assert.deepEqual(paths([{ start: '198.51.100.10', end: '203.0.113.20' }]), ['allocationPools.0.start']);
  assert.deepEqual(paths([{ start: '203.0.113.200', end: '203.0.113.255' }]), ['allocationPools.0.end']);
  assert.deepEqual(paths([{ start: '203.0.113.20', end: '203.0.113.10' }]), ['allocationPools.0']);
  assert.deepEqual(paths([{ start: 'nope', end: '203.0.113.10' }]), ['allocationPools.0.start']);
  assert.match(checkProviderSubnet({ ...ok, cidr: '203.0.113.5/24' }).problems[0].message, /did you mean 203\.0\.113\.0\/24/);
  assert.equal(checkProviderSubnet({ ...ok, cidr: '203.0.113.0/31' }).problems[0].path, 'cidr');
  assert.equal(checkProviderSubnet({ ...ok, cidr: '203.0.113.0' }).problems[0].path, 'cidr');
});
