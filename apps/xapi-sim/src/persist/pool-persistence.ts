// Keeps the simulated pool on disk (SIM_DATA_DIR), generically over the object store: every class and field the
// datamodel has persists, except what xapi itself keeps only in memory (ocaml/idl/datamodel.ml `~persist:PersistNothing`:
// session, task, VBD_metrics, VIF_metrics). Writes are batched off the RPC path: a change marks its object dirty,
// a timer appends the objects' latest state to the journal, and a large journal is compacted into a new snapshot.
import type { SimState } from '../sim/sim-state.js';
import { PoolFiles, type JournalLine, type LoadedPool, type StoredRow } from './pool-files.js';

const notPersisted = new Set(['session', 'task', 'VBD_metrics', 'VIF_metrics']);
const flushDelayMs = 50;
const minCompactBytes = 8 * 1024 * 1024;

export class PoolPersistence {
  private readonly files: PoolFiles;
  private dirty = new Map<string, [string, string]>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failed: Error | undefined;
  persistedGeneration = 0; // every change up to this generation is on disk (GET /sim/state)

  constructor(
    private readonly sim: SimState,
    dir: string,
  ) {
    this.files = new PoolFiles(dir);
  }

  get dir(): string {
    return this.files.dir;
  }

  load(): Promise<LoadedPool | undefined> {
    return this.files.load();
  }

  wipe(): Promise<void> {
    return this.files.wipe();
  }

  // From now on every change is kept; writes the current pool as the first snapshot.
  async start(): Promise<void> {
    this.sim.store.onWrite = (cls, ref) => this.mark(cls, ref);
    await this.compact();
  }

  private mark(cls: string, ref: string): void {
    // A change of a class not kept (sessions, tasks) still moves the generation: the next flush must say it is on disk.
    if (!notPersisted.has(cls)) this.dirty.set(`${cls}\u0000${ref}`, [cls, ref]);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.flush());
    }, flushDelayMs);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch((err: Error) => {
      if (!this.failed) this.sim.log.error('cannot write the pool to disk', { dir: this.dir, error: String(err?.stack ?? err) });
      this.failed = err;
    });
    return this.chain;
  }

  // The latest state of every object changed since the last flush, in one append.
  private async flush(): Promise<void> {
    if (this.dirty.size === 0) {
      // Nothing kept changed since the last append: the files already hold the pool as of this generation.
      this.persistedGeneration = this.sim.meta().generation;
      return;
    }
    const batch = this.dirty;
    this.dirty = new Map();
    const lines: JournalLine[] = [];
    for (const [cls, ref] of batch.values()) {
      const row = this.sim.store.row(cls, ref);
      lines.push(row ? { u: [cls, ref, row.created, row.modified, row.record] } : { d: [cls, ref] });
    }
    const meta = this.sim.meta();
    lines.push({ m: meta });
    await this.files.append(lines);
    this.persistedGeneration = meta.generation;
    if (this.files.journalBytes > Math.max(minCompactBytes, 2 * this.files.snapshotBytes)) await this.compact();
  }

  private *storedRows(): IterableIterator<StoredRow> {
    for (const [cls, ref, row] of this.sim.store.rows()) if (!notPersisted.has(cls)) yield [cls, ref, row.created, row.modified, row.record];
  }

  // A snapshot of the pool as it is now; what changes meanwhile goes to the new journal.
  compact(): Promise<void> {
    return this.enqueue(async () => {
      const meta = this.sim.meta();
      await this.files.writeSnapshot(meta, this.storedRows());
      this.persistedGeneration = Math.max(this.persistedGeneration, meta.generation);
    });
  }

  // The files hold only the pool as it is now (after POST /sim/reset): disk contents and old journal go.
  reset(): Promise<void> {
    this.dirty.clear();
    return this.enqueue(async () => {
      await this.files.wipe();
      const meta = this.sim.meta();
      await this.files.writeSnapshot(meta, this.storedRows());
      this.persistedGeneration = meta.generation;
    });
  }

  // Everything written so far is on disk (tests, shutdown).
  async settle(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.enqueue(() => this.flush());
  }

  async close(): Promise<void> {
    await this.settle();
    this.sim.store.onWrite = undefined;
    await this.files.close();
  }
}
