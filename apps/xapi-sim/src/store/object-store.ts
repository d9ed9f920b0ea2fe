// In-memory database keyed by class and ref, with xapi-style generations and a change log for event.from.
import type { Datamodel } from '../datamodel/datamodel.js';
import { makeRecord, type Value, type XRecord, scalar } from '../datamodel/defaults.js';
import { fail } from '../rpc/xapi-error.js';
import { isNullRef, newRef, newUuid } from '../util/ids.js';
import { forgetRendered } from '../wire/render-cache.js';
import { backRefs, backRefsOf } from './back-refs.js';
import { ChangeLog, type Change, type Row, type RowSource } from './change-log.js';

export type { Change } from './change-log.js';

export class ObjectStore {
  private readonly tables = new Map<string, Map<string, Row>>();
  private readonly uuids = new Map<string, string>();
  private readonly changes: ChangeLog;
  private gen = 0;
  onWrite: ((cls: string, ref: string) => void) | undefined; // every change to an object (persistence listens)
  private readonly listeners = new Set<() => void>();
  private readonly rowSource: RowSource = {
    get: (cls, ref) => this.tables.get(cls)?.get(ref),
    all: () => this.allRows(),
  };

  constructor(readonly dm: Datamodel) {
    const order = new Map([...dm.classes.keys()].map((c, i) => [c, i]));
    this.changes = new ChangeLog((cls) => order.get(cls) ?? order.size);
  }

  private *allRows(): IterableIterator<[string, string, Row]> {
    for (const [cls, table] of this.tables) for (const [ref, row] of table) yield [cls, ref, row];
  }

  get generation(): number {
    return this.gen;
  }

  private table(cls: string): Map<string, Row> {
    let t = this.tables.get(cls);
    if (!t) this.tables.set(cls, (t = new Map<string, Row>()));
    return t;
  }

  private logChange(cls: string, ref: string, gen: number): void {
    this.changes.changed(cls, ref, gen);
    this.onWrite?.(cls, ref);
  }

  create(cls: string, values: XRecord, ref: string = newRef()): string {
    const record = makeRecord(this.dm, cls, values);
    if ('uuid' in record && !record.uuid) record.uuid = newUuid();
    const gen = ++this.gen;
    this.table(cls).set(ref, { record, created: gen, modified: gen });
    this.logChange(cls, ref, gen);
    if (typeof record.uuid === 'string') this.uuids.set(`${cls}/${record.uuid}`, ref);
    this.link(cls, ref, record, gen);
    this.notify();
    return ref;
  }

  // The record `create` would store for these values (defaults filled), without storing it.
  preview(cls: string, values: XRecord): XRecord {
    return makeRecord(this.dm, cls, values);
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
    const fields = Object.keys(patch);
    this.unlink(cls, ref, row.record, gen, fields);
    Object.assign(row.record, patch);
    forgetRendered(row.record);
    row.modified = gen;
    this.logChange(cls, ref, gen);
    this.link(cls, ref, row.record, gen, fields);
    this.notify();
    return row.record;
  }

  // Bookkeeping that must not wake event.from (e.g. session last_active on every call).
  updateSilently(cls: string, ref: string, patch: XRecord): void {
    const row = this.tables.get(cls)?.get(ref);
    if (!row) return;
    forgetRendered(Object.assign(row.record, patch));
    this.onWrite?.(cls, ref);
  }

  touch(cls: string, ref: string): void {
    this.update(cls, ref, {});
  }

  destroy(cls: string, ref: string): void {
    const row = this.tables.get(cls)?.get(ref) ?? fail('HANDLE_INVALID', cls, ref);
    const gen = ++this.gen;
    this.unlink(cls, ref, row.record, gen);
    this.tables.get(cls)!.delete(ref);
    this.changes.deleted(cls, ref, row.created, gen);
    this.onWrite?.(cls, ref);
    if (typeof row.record.uuid === 'string') this.uuids.delete(`${cls}/${row.record.uuid}`);
    this.notify();
  }

  // The stored row (record with its created/modified generations), for persistence.
  row(cls: string, ref: string): Readonly<Row> | undefined {
    return this.tables.get(cls)?.get(ref);
  }

  rows(): IterableIterator<[string, string, Row]> {
    return this.allRows();
  }

  // Replaces every object (a pool read back from disk, or none for a reset); records get fields added to the
  // datamodel since, back-ref sets are rebuilt from their children, and older event tokens read a full scan.
  restore(rows: Iterable<[cls: string, ref: string, created: number, modified: number, record: XRecord]>, generation: number): void {
    this.tables.clear();
    this.uuids.clear();
    for (const [cls, ref, created, modified, values] of rows) {
      if (!this.dm.cls(cls)) continue; // a class the datamodel no longer has
      const record = makeRecord(this.dm, cls, values);
      this.table(cls).set(ref, { record, created, modified });
      if (typeof record.uuid === 'string') this.uuids.set(`${cls}/${record.uuid}`, ref);
    }
    for (const b of backRefs)
      for (const row of this.tables.get(b.parent)?.values() ?? []) if (Array.isArray(row.record[b.set])) row.record[b.set] = [];
    for (const [cls, ref, row] of this.allRows()) {
      for (const b of backRefsOf(cls)) {
        const set = this.tables.get(b.parent)?.get(scalar(row.record[b.field]))?.record[b.set];
        if (Array.isArray(set)) set.push(ref);
      }
    }
    this.gen = Math.max(this.gen, generation);
    this.changes.reset(this.gen);
    this.notify();
  }

  all(cls: string): Array<[string, XRecord]> {
    return [...(this.tables.get(cls)?.entries() ?? [])].map(([ref, row]) => [ref, row.record]);
  }

  // Records of a class without building pairs (hot loops over 10,000 VMs).
  *records(cls: string): IterableIterator<XRecord> {
    for (const row of this.tables.get(cls)?.values() ?? []) yield row.record;
  }

  count(cls: string): number {
    return this.tables.get(cls)?.size ?? 0;
  }

  refByUuid(cls: string, uuid: string): string | undefined {
    return this.uuids.get(`${cls}/${uuid}`);
  }

  // Every object changed after generation `since`, one entry per object, by xapi's event rules (change-log.ts).
  changesSince(since: number, accept: (cls: string, ref: string) => boolean): { changes: Change[]; last: number } {
    return this.changes.since(since, accept, this.rowSource);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  // Back-ref sets grow in place (each record owns its arrays: makeRecord copies defaults); they shrink by copy (unlink).
  private link(cls: string, ref: string, record: XRecord, gen: number, fields?: string[]): void {
    for (const b of backRefsOf(cls)) {
      if (fields && !fields.includes(b.field)) continue;
      const parent = record[b.field];
      const row = typeof parent === 'string' && !isNullRef(parent) ? this.tables.get(b.parent)?.get(parent) : undefined;
      const set = row?.record[b.set];
      // a new object (no `fields`) cannot be in any set yet: skip the O(n) check
      if (!row || !Array.isArray(set) || (fields && set.includes(ref))) continue;
      set.push(ref);
      forgetRendered(row.record);
      row.modified = gen;
      this.logChange(b.parent, parent as string, gen);
    }
  }

  // Copy-on-write: a caller iterating the set it read (VM.VIFs while destroying each VIF) never skips an entry.
  private unlink(cls: string, ref: string, record: XRecord, gen: number, fields?: string[]): void {
    for (const b of backRefsOf(cls)) {
      if (fields && !fields.includes(b.field)) continue;
      const parent = record[b.field];
      const row = typeof parent === 'string' ? this.tables.get(b.parent)?.get(parent) : undefined;
      const set = row?.record[b.set] as Value[] | undefined;
      const at = Array.isArray(set) ? set.indexOf(ref) : -1;
      if (!row || at < 0) continue;
      row.record[b.set] = [...set!.slice(0, at), ...set!.slice(at + 1)];
      forgetRendered(row.record);
      row.modified = gen;
      this.logChange(b.parent, parent as string, gen);
    }
  }
}
