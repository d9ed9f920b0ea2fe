import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  QUOTA_RESOURCES,
  UNLIMITED,
  ZERO,
  add,
  difference,
  fillLimits,
  firstShortfall,
  fits,
  isZero,
  negate,
  normalizeDelta,
  vmFootprint,
  type QuotaAmounts,
  type QuotaLimits,
} from './quota-math.js';

const amounts = fc.record(
  Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, fc.integer({ min: -1000, max: 1000 })])) as Record<keyof QuotaAmounts, fc.Arbitrary<number>>,
);

describe('quota arithmetic', () => {
  test('a missing dimension is 0 and a non-integer delta is refused', () => {
    assert.deepEqual(normalizeDelta({ vcpus: 2 }), { ...ZERO, vcpus: 2 });
    assert.throws(() => normalizeDelta({ memoryMiB: 1.5 }), RangeError);
    assert.throws(() => normalizeDelta({ vms: Number.NaN }), RangeError);
  });

  test('fits: growth within a set limit, anything when unlimited, and shrinking always', () => {
    assert.equal(fits(10, 9, 1), true);
    assert.equal(fits(10, 10, 1), false);
    assert.equal(fits(null, 1e9, 1e6), true);
    assert.equal(fits(0, 0, 0), true);
    // A limit lowered below usage blocks growth only.
    assert.equal(fits(4, 8, -2), true);
    assert.equal(fits(4, 8, 1), false);
  });

  test('the first dimension that does not fit is reported with its limit, usage and the request', () => {
    const quota = { limits: { ...UNLIMITED, vcpus: 4, diskGiB: 10 }, used: { ...ZERO, vcpus: 3, diskGiB: 10 } };
    assert.deepEqual(firstShortfall(quota, { ...ZERO, vms: 1, vcpus: 2, diskGiB: 1 }), { resource: 'vcpus', limit: 4, used: 3, requested: 2 });
    assert.deepEqual(firstShortfall(quota, { ...ZERO, vcpus: 1, diskGiB: 1 }), { resource: 'diskGiB', limit: 10, used: 10, requested: 1 });
    assert.equal(firstShortfall(quota, { ...ZERO, vcpus: 1, diskGiB: -5 }), null, 'a resize that shrinks disk and grows within vcpus fits');
  });

  test('a VM holds one vms unit and its sizes, whatever its power state', () => {
    assert.deepEqual(vmFootprint({ vcpus: 2, memoryMiB: 2048, diskGiB: 20 }), {
      vms: 1,
      vcpus: 2,
      memoryMiB: 2048,
      diskGiB: 20,
      networks: 0,
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
  });

  test('limits left out are unlimited, undefined included', () => {
    assert.deepEqual(fillLimits({ vms: 3, vcpus: undefined }), { ...UNLIMITED, vms: 3 });
    assert.deepEqual(fillLimits({ networks: 0 }), { ...UNLIMITED, networks: 0 });
  });

  test('negate, add and difference are consistent (property)', () => {
    // fc.record builds null-prototype objects; spread them to compare by value.
    fc.assert(
      fc.property(amounts, amounts, (a, b) => {
        assert.ok(isZero(add(a, negate(a))));
        assert.deepEqual(add(a, difference(a, b)), { ...b });
        assert.deepEqual(negate(negate(a)), { ...a });
        assert.ok(
          QUOTA_RESOURCES.every((r) => !Object.is(negate(a)[r], -0)),
          'no -0 reaches SQL or JSON',
        );
      }),
    );
  });

  test('firstShortfall agrees with fits on every dimension (property)', () => {
    const limit = fc.option(fc.integer({ min: 0, max: 50 }), { nil: null });
    const limits = fc.record(Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, limit]))) as fc.Arbitrary<QuotaLimits>;
    fc.assert(
      fc.property(limits, amounts, amounts, (l, used, delta) => {
        const shortfall = firstShortfall({ limits: l, used }, delta);
        const failing = QUOTA_RESOURCES.filter((r) => !fits(l[r], used[r], delta[r]));
        assert.equal(shortfall?.resource ?? null, failing[0] ?? null);
      }),
    );
  });
});
