// event.from / event.inject: coalesced add|mod|del since a token, blocking (asynchronously) until one arrives.
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import type { Change } from '../store/object-store.js';
import { encodeRecord, str, type Wire } from '../wire/wire-value.js';

export function formatToken(generation: number): string {
  return `${String(generation).padStart(20, '0')},${'0'.padStart(20, '0')}`;
}

// xapi_event.ml Token.of_string: "" is the beginning, else exactly two Int64.of_string numbers "db,messages".
const int64 = /^[-+]?(?:\d[\d_]*|0[xX][\da-fA-F][\da-fA-F_]*|0[oO][0-7][0-7_]*|0[bB][01][01_]*)$/;
export function parseToken(token: string): number {
  if (token === '') return 0;
  const parts = token.split(',');
  if (parts.length !== 2 || !parts.every((p) => int64.test(p))) fail('EVENT_FROM_TOKEN_PARSE_FAILURE', token);
  const n = Number(parts[0].replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : fail('EVENT_FROM_TOKEN_PARSE_FAILURE', token);
}

type Filter = (cls: string, ref: string) => boolean;

// Subscriptions: "vm", "VM", "*", or one object as "vm/OpaqueRef:…"; matched lowercase.
function parseClasses(classes: string[]): Filter {
  const all = classes.some((c) => c === '*');
  const wanted = new Set<string>();
  const objects = new Set<string>();
  for (const c of classes) {
    const slash = c.indexOf('/');
    if (slash < 0) wanted.add(c.toLowerCase());
    else objects.add(`${c.slice(0, slash).toLowerCase()}/${c.slice(slash + 1)}`);
  }
  return (cls, ref) => {
    const lower = cls.toLowerCase();
    return all || wanted.has(lower) || objects.has(`${lower}/${ref}`);
  };
}

function eventWire(sim: SimState, c: Change): Wire {
  const members: Array<[string, Wire]> = [
    ['id', str(String(c.gen))],
    ['timestamp', str('0.0')],
    ['class', str(c.cls.toLowerCase())],
    ['operation', str(c.op)],
    ['ref', str(c.ref)],
  ];
  if (c.op !== 'del' && c.record) members.push(['snapshot', encodeRecord(c.record, c.cls, sim.dm)]);
  return { t: 'struct', v: members };
}

function batch(sim: SimState, changes: Change[], last: number): Wire {
  const counts = Object.entries(sim.counts()).map(([cls, n]): [string, Wire] => [cls.toLowerCase(), { t: 'i4', v: n }]);
  return {
    t: 'struct',
    v: [
      ['events', { t: 'arr', v: changes.map((c) => eventWire(sim, c)) }],
      ['valid_ref_counts', { t: 'struct', v: counts }],
      ['token', str(formatToken(last))],
    ],
  };
}

export async function eventFrom(sim: SimState, classes: string[], token: string, timeoutSeconds: number): Promise<Wire> {
  const since = parseToken(token);
  const accept = parseClasses(classes);
  const deadline = Date.now() + Math.max(0, timeoutSeconds) * 1000;
  for (;;) {
    const { changes, last } = sim.store.changesSince(since, accept);
    if (changes.length > 0 || Date.now() >= deadline || sim.timers.signal.aborted) return batch(sim, changes, last);
    await sim.waitForChange(deadline - Date.now());
  }
}

// Returns the token just before a synthetic `mod` of the object, so event.from(token) sees it.
export function eventInject(sim: SimState, cls: string, ref: string): string {
  const canonical = sim.dm.canonicalClass(cls) ?? fail('HANDLE_INVALID', cls, ref);
  const token = formatToken(sim.store.generation);
  sim.store.mustGet(canonical, ref);
  sim.store.touch(canonical, ref);
  return token;
}
