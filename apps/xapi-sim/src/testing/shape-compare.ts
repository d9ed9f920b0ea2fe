// Compares a recorded XAPI answer with ours by datamodel type: same field names, same JSON types, XAPI datetimes.
import type { Datamodel } from '../datamodel/datamodel.js';
import { parseType, type XType } from '../datamodel/xapi-type.js';
import { scalar } from '../datamodel/defaults.js';

export interface Difference {
  path: string;
  what: string;
}

const basicDate = /^\d{8}T\d{2}:\d{2}:\d{2}Z$/;
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isObject = (v: unknown): v is Record<string, unknown> => kindOf(v) === 'object';

// event.from's batch has no datamodel type; its shape is xapi.md §1.7.
export const eventBatch = 'event batch';

export function compareShape(recorded: unknown, ours: unknown, type: XType | typeof eventBatch, dm: Datamodel, path = 'result'): Difference[] {
  const diffs: Difference[] = [];
  const walk = (r: unknown, o: unknown, t: XType, p: string): void => {
    if (r === undefined) return;
    const want = jsonKind(t);
    if (want && kindOf(o) !== want) return void diffs.push({ path: p, what: `ours is ${kindOf(o)}, the datamodel says ${want}` });
    if (want && kindOf(r) !== want) return void diffs.push({ path: p, what: `recorded ${kindOf(r)} ${JSON.stringify(r)}, datamodel ${want}` });
    if (t.kind === 'datetime') {
      if (!basicDate.test(String(o))) diffs.push({ path: p, what: `ours ${String(o)} is not a basic ISO datetime` });
      if (!basicDate.test(scalar(r))) diffs.push({ path: p, what: `recorded datetime ${scalar(r)} is not basic ISO` });
    } else if (t.kind === 'record') {
      const def = dm.cls(t.cls);
      for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
        const field = def?.field.get(k);
        if (!field || !(k in (o as object))) diffs.push({ path: `${p}.${k}`, what: `recorded field ${k} is not in ours` });
        else walk(v, (o as Record<string, unknown>)[k], field.type, `${p}.${k}`);
      }
    } else if (t.kind === 'map') {
      const ov = Object.values(o as object);
      for (const [k, v] of Object.entries(r as Record<string, unknown>))
        if (ov.length > 0) walk(v, ov[0], t.value, `${p}[${t.key.kind === 'ref' ? '*' : k}]`);
    } else if (t.kind === 'set') {
      const [r0, o0] = [(r as unknown[])[0], (o as unknown[])[0]];
      if (o0 !== undefined) walk(r0, o0, t.of, `${p}[0]`);
    }
  };
  if (type === eventBatch) compareBatch(recorded, ours, dm, path, diffs, walk);
  else walk(recorded, ours, type, path);
  return diffs;
}

function jsonKind(t: XType): string | undefined {
  switch (t.kind) {
    case 'int':
    case 'float':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'string':
    case 'ref':
    case 'enum':
    case 'datetime':
      return 'string';
    case 'set':
      return 'array';
    case 'map':
    case 'record':
      return 'object';
    default:
      return undefined;
  }
}

type Walk = (r: unknown, o: unknown, t: XType, p: string) => void;

// {events: [{id, timestamp, class, operation, ref, snapshot}], valid_ref_counts: {class: int}, token}.
function compareBatch(recorded: unknown, ours: unknown, dm: Datamodel, path: string, diffs: Difference[], walk: Walk): void {
  if (!isObject(recorded) || !isObject(ours)) return void diffs.push({ path, what: 'batch is not an object' });
  const members: Record<string, XType> = {
    token: parseType('string'),
    valid_ref_counts: parseType('(string -> int) map'),
    events: parseType('string set'),
  };
  for (const k of Object.keys(recorded))
    if (!(k in members)) diffs.push({ path: `${path}.${k}`, what: `recorded member ${k} is not in an event batch` });
  for (const [k, t] of Object.entries(members)) if (k !== 'events') walk(recorded[k], ours[k], t, `${path}.${k}`);
  const [r0, o0] = [(recorded.events as unknown[] | undefined)?.[0], (ours.events as unknown[] | undefined)?.[0]];
  if (!isObject(r0) || !isObject(o0)) return;
  const event: Record<string, XType> = {
    id: parseType('string'),
    timestamp: parseType('string'),
    class: parseType('string'),
    operation: parseType('string'),
    ref: parseType('ref'),
  };
  for (const k of Object.keys(r0))
    if (!(k in event) && k !== 'snapshot')
      diffs.push({ path: `${path}.events[0].${k}`, what: `recorded event member ${k} is not in event.from events` });
  for (const [k, t] of Object.entries(event)) walk(r0[k], o0[k], t, `${path}.events[0].${k}`);
  const cls = dm.canonicalClass(String(o0.class));
  if (cls) walk(r0.snapshot, o0.snapshot, { kind: 'record', cls }, `${path}.events[0].snapshot`);
}
