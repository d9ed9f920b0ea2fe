// Test support: seeded random VM histories and an independent, second-by-second usage computation from raw events.
import type { LifecycleEvent } from '../metering/lifecycle-intervals.js';
import { prng } from './month-fixture.js';

export type TestEvent = LifecycleEvent;

/** created … (running | stopped | resized, with repeats) … deleted, at random millisecond times over `days`. */
export function randomVmHistory(seed: number, startMs: number, days: number): TestEvent[] {
  const rnd = prng(seed);
  const span = days * 86_400_000;
  const times = Array.from({ length: 14 }, () => startMs + Math.floor(rnd() * span)).sort((a, b) => a - b);
  let attrs = {
    vcpus: 1 + Math.floor(rnd() * 4),
    memoryMiB: 512 * (1 + Math.floor(rnd() * 8)),
    diskGiB: 5 + Math.floor(rnd() * 20),
    name: `vm-${seed}`,
  };
  const events: TestEvent[] = [{ key: 'e0', kind: 'created', at: times[0], attrs }];
  for (let i = 1; i < times.length - 1; i++) {
    const pick = rnd();
    if (pick < 0.2) attrs = { ...attrs, vcpus: 1 + Math.floor(rnd() * 4), memoryMiB: 512 * (1 + Math.floor(rnd() * 8)) };
    const kind = pick < 0.2 ? 'resized' : pick < 0.6 ? 'running' : 'stopped';
    events.push({ key: `e${i}`, kind, at: times[i], attrs });
  }
  events.push({ key: 'end', kind: 'deleted', at: times.at(-1)!, attrs: {} });
  return events;
}

const ORDER = { created: 0, resized: 1, running: 2, stopped: 3, deleted: 4 } as const;

/** Walks every second from the first event to the last and adds up what each meter consumed in it. */
export function bruteForceSeconds(events: TestEvent[]): Record<string, { seconds: number; consumed: number }> {
  const evs = events
    .map((e) => ({ ...e, s: Math.floor(e.at / 1000) }))
    .sort((a, b) => a.s - b.s || ORDER[a.kind] - ORDER[b.kind] || (a.key < b.key ? -1 : 1));
  const out: Record<string, { seconds: number; consumed: number }> = {};
  const add = (sku: string, size: number) => {
    const o = (out[sku] ??= { seconds: 0, consumed: 0 });
    o.seconds += 1;
    o.consumed += size;
  };
  let exists = false;
  let running = false;
  let vcpus = 0;
  let mem = 0;
  let disk = 0;
  let i = 0;
  for (let s = evs[0].s; s < evs.at(-1)!.s; s++) {
    for (; i < evs.length && evs[i].s <= s; i++) {
      const e = evs[i];
      if (e.kind !== 'stopped' && e.kind !== 'deleted') ({ vcpus = vcpus, memoryMiB: mem = mem, diskGiB: disk = disk } = e.attrs);
      if (e.kind === 'created') exists = true;
      if (e.kind === 'running') exists = running = true;
      if (e.kind === 'stopped') running = false;
      if (e.kind === 'deleted') exists = running = false;
    }
    if (exists) add('disk-gib-hour', disk);
    if (running) {
      add('vm-hour', 1);
      add('vcpu-hour', vcpus);
      add('memory-gib-hour', mem / 1024);
    }
  }
  return out;
}
