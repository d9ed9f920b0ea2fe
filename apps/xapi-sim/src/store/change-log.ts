// What event.from sees after a generation, by xapi's rules (ocaml/xapi/xapi_event.ml collect_events, from_inner;
// ocaml/database/db_cache_types.ml fold_over_recent / fold_over_deleted):
//  - add: created after the token (id = created); mod: modified after it, created before (id = modified);
//  - del: deleted after the token, created before it (id = deleted): an object born and gone in between is not seen;
//  - the new token is the last modified/deleted generation among the objects seen, or the old one;
//  - order: adds, then mods, then dels, each by table (datamodel order) and ref.
import type { XRecord } from '../datamodel/defaults.js';

export interface Row {
  record: XRecord;
  created: number;
  modified: number;
}

export interface Change {
  cls: string;
  ref: string;
  op: 'add' | 'mod' | 'del';
  gen: number; // the event id
  record?: XRecord;
}

interface Entry {
  gen: number;
  cls: string;
  ref: string;
  created?: number; // set on deletions
}

const maxTombstones = 10000; // older deletions are forgotten silently, as xapi's per-table deleted queue does
const maxLog = 200_000; // beyond this the older half goes; tokens older than the log fall back to a full scan

export class ChangeLog {
  private log: Entry[] = []; // every change in generation order, so event.from reads only what is new
  private logFrom = 0; // the log holds every change after this generation
  private readonly tombstones: Entry[] = [];

  constructor(private readonly classOrder: (cls: string) => number) {}

  // Forget everything: tokens before `from` read a full scan of the rows.
  reset(from: number): void {
    this.log = [];
    this.logFrom = from;
    this.tombstones.length = 0;
  }

  changed(cls: string, ref: string, gen: number): void {
    this.push({ gen, cls, ref });
  }

  deleted(cls: string, ref: string, created: number, gen: number): void {
    const e = { gen, cls, ref, created };
    this.push(e);
    this.tombstones.push(e);
    if (this.tombstones.length > maxTombstones) this.tombstones.shift();
  }

  private push(e: Entry): void {
    this.log.push(e);
    if (this.log.length <= maxLog) return;
    const half = this.log.length >> 1;
    this.logFrom = this.log[half - 1].gen;
    this.log = this.log.slice(half);
  }

  since(since: number, accept: (cls: string, ref: string) => boolean, rows: RowSource): { changes: Change[]; last: number } {
    const changes = since >= this.logFrom && since > 0 ? this.fromLog(since, accept, rows) : this.fullScan(since, accept, rows);
    const last = changes.reduce((m, c) => Math.max(m, c.op === 'del' ? c.gen : rows.get(c.cls, c.ref)!.modified), since);
    const rank = { add: 0, mod: 1, del: 2 } as const;
    changes.sort(
      (a, b) =>
        rank[a.op] - rank[b.op] ||
        this.classOrder(a.cls) - this.classOrder(b.cls) ||
        (a.op === 'del' ? b.gen - a.gen : a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0),
    );
    return { changes, last };
  }

  private fromLog(since: number, accept: (cls: string, ref: string) => boolean, rows: RowSource): Change[] {
    let lo = 0;
    for (let hi = this.log.length; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid].gen <= since) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Map<string, Entry>();
    for (let i = lo; i < this.log.length; i++) {
      const e = this.log[i];
      if (accept(e.cls, e.ref)) seen.set(`${e.cls}/${e.ref}`, e);
    }
    const out: Change[] = [];
    for (const e of seen.values()) {
      const row = rows.get(e.cls, e.ref);
      if (row) out.push(live(e.cls, e.ref, row, since));
      else if (e.created !== undefined && e.created <= since) out.push({ cls: e.cls, ref: e.ref, op: 'del', gen: e.gen });
    }
    return out;
  }

  private fullScan(since: number, accept: (cls: string, ref: string) => boolean, rows: RowSource): Change[] {
    const out: Change[] = [];
    for (const [cls, ref, row] of rows.all()) if (row.modified > since && accept(cls, ref)) out.push(live(cls, ref, row, since));
    for (const t of this.tombstones)
      if (t.gen > since && t.created! <= since && accept(t.cls, t.ref)) out.push({ cls: t.cls, ref: t.ref, op: 'del', gen: t.gen });
    return out;
  }
}

export interface RowSource {
  get(cls: string, ref: string): Row | undefined;
  all(): Iterable<[string, string, Row]>;
}

function live(cls: string, ref: string, row: Row, since: number): Change {
  return row.created > since
    ? { cls, ref, op: 'add', gen: row.created, record: row.record }
    : { cls, ref, op: 'mod', gen: row.modified, record: row.record };
}
