import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomVmHistory } from '../testing/usage-fixtures.js';
import { deriveLifecycleIntervals } from './lifecycle-intervals.js';

test('any order of the same events, with duplicates, gives identical intervals that never overlap per sku', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const events = randomVmHistory(seed, Date.parse('2026-03-01T00:00:00Z'), 2);
    const reference = deriveLifecycleIntervals('vm', events);
    const shuffled = [...events, ...events.slice(0, 5)].sort(() => Math.random() - 0.5);
    assert.deepEqual(deriveLifecycleIntervals('vm', shuffled), reference, `seed ${seed}`);
    for (const sku of new Set(reference.map((i) => i.sku))) {
      const mine = reference.filter((i) => i.sku === sku);
      for (let i = 1; i < mine.length; i++) assert.ok(mine[i].start >= mine[i - 1].end!, `${sku} overlaps (seed ${seed})`);
    }
  }
});

test('a resize while running closes and reopens at the same second; a stop ends only the running meters', () => {
  const a = { vcpus: 2, memoryMiB: 2048, diskGiB: 10, name: 'x' };
  const t = (h: number) => Date.parse('2026-03-01T00:00:00Z') + h * 3_600_000 + 250;
  const got = deriveLifecycleIntervals('vm', [
    { key: '1', kind: 'running', at: t(0), attrs: a },
    { key: '2', kind: 'resized', at: t(1), attrs: { ...a, vcpus: 4 } },
    { key: '3', kind: 'stopped', at: t(2), attrs: {} },
    { key: '4', kind: 'stopped', at: t(3), attrs: {} },
    { key: '5', kind: 'deleted', at: t(4), attrs: {} },
  ]);
  const s = (h: number) => Math.floor(t(h) / 1000);
  assert.deepEqual(
    got.map((i) => [i.sku, i.size, i.start, i.end]),
    [
      ['disk-gib-hour', '10', s(0), s(4)],
      ['memory-gib-hour', '2', s(0), s(2)],
      ['vcpu-hour', '2', s(0), s(1)],
      ['vcpu-hour', '4', s(1), s(2)],
      ['vm-hour', '1', s(0), s(2)],
    ],
  );
});

test('a volume is metered as volume-gib-hour from created to deleted at its size, a grow reopening at the new size', () => {
  const t = (h: number) => Date.parse('2026-03-01T00:00:00Z') + h * 3_600_000 + 750;
  const got = deriveLifecycleIntervals('volume', [
    { key: '1', kind: 'created', at: t(0), attrs: { diskGiB: 50, name: 'data' } },
    { key: '2', kind: 'resized', at: t(5), attrs: { diskGiB: 80, name: 'data' } },
    { key: '3', kind: 'deleted', at: t(9), attrs: {} },
  ]);
  const s = (h: number) => Math.floor(t(h) / 1000);
  assert.deepEqual(
    got.map((i) => [i.sku, i.size, i.start, i.end, i.name]),
    [
      ['volume-gib-hour', '50', s(0), s(5), 'data'],
      ['volume-gib-hour', '80', s(5), s(9), 'data'],
    ],
  );
});

test('a snapshot is metered as snapshot-gib-hour from created to deleted at the GiB it copies, to the second', () => {
  const t = (s: number) => Date.parse('2026-03-01T00:00:00Z') + s * 1000 + 400;
  const got = deriveLifecycleIntervals('snapshot', [
    { key: 'a', kind: 'created', at: t(7), attrs: { diskGiB: 10, name: 'before-upgrade' } },
    { key: 'b', kind: 'deleted', at: t(7 + 3600 * 30 + 13), attrs: {} },
  ]);
  assert.deepEqual(
    got.map((i) => [i.sku, i.size, i.end! - i.start, i.name]),
    [['snapshot-gib-hour', '10', 3600 * 30 + 13, 'before-upgrade']],
  );
});

test('a public address is metered as public-ip-hour, size 1, from created (held) to deleted (given back)', () => {
  const t = (h: number) => Date.parse('2026-03-01T00:00:00Z') + h * 3_600_000 + 250;
  const got = deriveLifecycleIntervals('public-ip', [
    { key: '1', kind: 'created', at: t(1), attrs: { name: '203.0.113.10' } },
    { key: '1', kind: 'created', at: t(1), attrs: { name: '203.0.113.10' } },
    { key: '2', kind: 'deleted', at: t(7), attrs: {} },
  ]);
  const s = (h: number) => Math.floor(t(h) / 1000);
  assert.deepEqual(
    got.map((i) => [i.sku, i.size, i.start, i.end, i.name]),
    [['public-ip-hour', '1', s(1), s(7), '203.0.113.10']],
  );
});
