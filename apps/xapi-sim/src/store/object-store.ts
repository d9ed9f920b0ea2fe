// In-memory database keyed by class and ref, with xapi-style generations for event.from.
import type { Datamodel } from '../datamodel/datamodel.js';
import { makeRecord, type Value, type XRecord } from '../datamodel/defaults.js';
import { fail } from '../rpc/xapi-error.js';
import { isNullRef, newRef, newUuid } from '../util/ids.js';
import { backRefsOf } from './back-refs.js';

interface Row {
  record: XRecord;
  created: number;
  modified: number;
}

export interface Change {
  cls: string;
  ref: string;
  op: 'add' | 'mod' | 'del';
  gen: number;
  record?: XRecord;
}

const maxTombstones = 10000;

export class ObjectStore {
  private readonly tables = new Map<string, Map<string, Row>>();
  private readonly uuids = new Map<string, string>();
  private readonly tombstones: Array<{ cls: string; ref: string; gen: number }> = [];
  private droppedUpTo = 0;
  private gen = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly dm: Datamodel) {}

  get generation(): number {
    return this.gen;
  }

  private table(cls: string): Map<string, Row> {
    let t = this.tables.get(cls);
    if (!t) this.tables.set(cls, (t = new Map()));
    return t;
  }

  create(cls: string, values: XRecord, ref: string = newRef()): string {
    const record = makeRecord(this.dm, cls, values);
    if ('uuid' in record && !record.uuid) record.uuid = newUuid();
    const gen = ++this.gen;
    this.table(cls).set(ref, { record, created: gen, modified: gen });
    if (typeof record.uuid === 'string') this.uuids.set(`${cls}/${record.uuid}`, ref);
    this.link(cls, ref, record, gen);
    this.notify();
    return ref;
  }

  get(cls: string, ref: string): XRecord | undefined {
    return this.tables.get(cls)?.get(ref)?.record;
  }

  mustGet(cls: string, ref: string): XRecord {
    return this.get(cls, ref) ?? fail('HANDLE_INVALID', cls, ref);
  }

  update(cls: string, ref: string, patch: XRecord): XRecord {
    const row = this.tables.get(cls)?.get(ref) ?? fail('HANDLE_INVALID', cls, ref);
    const gen = ++this.gen;
    this.unlink(cls, ref, row.record, gen, Object.keys(patch));
    Object.assign(row.record, patch);
    row.modified = gen;
    this.link(cls, ref, row.record, gen, Object.keys(patch));
    this.notify();
    return row.record;
  }

  // Bookkeeping that must not wake event.from (e.g. session last_active on every call).
  updateSilently(cls: string, ref: string, patch: XRecord): void {
    const row = this.tables.get(cls)?.get(ref);
    if (row) Object.assign(row.record, patch);
  }

  touch(cls: string, ref: string): void {
    this.update(cls, ref, {});
  }

  destroy(cls: string, ref: string): void {
    const row = this.tables.get(cls)?.get(ref) ?? fail('HANDLE_INVALID', cls, ref);
    const gen = ++this.gen;
    this.unlink(cls, ref, row.record, gen);
    this.tables.get(cls)!.delete(ref);
    if (typeof row.record.uuid === 'string') this.uuids.delete(`${cls}/${row.record.uuid}`);
    this.tombstones.push({ cls, ref, gen });
    if (this.tombstones.length > maxTombstones) this.droppedUpTo = this.tombstones.shift()!.gen;
    this.notify();
  }

  all(cls: string): Array<[string, XRecord]> {
    return [...(this.tables.get(cls)?.entries() ?? [])].map(([ref, row]) => [ref, row.record]);
  }

  count(cls: string): number {
    return this.tables.get(cls)?.size ?? 0;
  }

  refByUuid(cls: string, uuid: string): string | undefined {
    return this.uuids.get(`${cls}/${uuid}`);
  }

  // Every object changed after generation `since`, one entry per object (changes coalesce).
  changesSince(since: number, accept: (cls: string, ref: string) => boolean): Change[] {
    if (since > 0 && since < this.droppedUpTo) fail('EVENTS_LOST');
    const out: Change[] = [];
    for (const [cls, table] of this.tables) {
      for (const [ref, row] of table) {
        if (row.modified <= since || !accept(cls, ref)) continue;
        out.push({ cls, ref, op: row.created > since ? 'add' : 'mod', gen: row.modified, record: row.record });
      }
    }
    for (const t of this.tombstones) if (t.gen > since && accept(t.cls, t.ref)) out.push({ ...t, op: 'del' });
    return out.sort((a, b) => a.gen - b.gen);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private link(cls: string, ref: string, record: XRecord, gen: number, fields?: string[]): void {
    for (const b of backRefsOf(cls)) {
      if (fields && !fields.includes(b.field)) continue;
      const parent = record[b.field];
      const row = typeof parent === 'string' && !isNullRef(parent) ? this.tables.get(b.parent)?.get(parent) : undefined;
      const set = row?.record[b.set];
      if (!row || !Array.isArray(set) || set.includes(ref)) continue;
      row.record[b.set] = [...set, ref];
      row.modified = gen;
    }
  }

  private unlink(cls: string, ref: string, record: XRecord, gen: number, fields?: string[]): void {
    for (const b of backRefsOf(cls)) {
      if (fields && !fields.includes(b.field)) continue;
      const parent = record[b.field];
      const row = typeof parent === 'string' ? this.tables.get(b.parent)?.get(parent) : undefined;
      const set = row?.record[b.set];
      if (!row || !Array.isArray(set) || !set.includes(ref)) continue;
      row.record[b.set] = set.filter((r: Value) => r !== ref);
      row.modified = gen;
    }
  }
}
