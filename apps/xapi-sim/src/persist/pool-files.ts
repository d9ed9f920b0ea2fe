// The pool on disk: a snapshot (pool.json, replaced atomically: temp file, fsync, rename, fsync dir) and an
// append-only journal (pool.journal) of whole-object upserts and deletes since it. Both carry an epoch, so a
// journal older than its snapshot (a crash during compaction) is never replayed over it.
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { XRecord } from '../datamodel/defaults.js';

export type StoredRow = [cls: string, ref: string, created: number, modified: number, record: XRecord];
export type JournalLine = { u: StoredRow } | { d: [string, string] } | { m: PoolMeta };

// What a pool is beyond its objects: which refs are the pool and its hosts, counters xapi keeps in the database.
export interface PoolMeta {
  generation: number;
  poolRef: string;
  hostRefs: string[];
  domids: Record<string, number>;
  populated: number;
}

export interface LoadedPool {
  meta: PoolMeta;
  rows: Map<string, StoredRow>; // by `${cls}\0${ref}`
}

const key = (cls: string, ref: string) => `${cls}\u0000${ref}`;

export class PoolFiles {
  private journal: FileHandle | undefined;
  private epoch = 0;
  journalBytes = 0;
  snapshotBytes = 0;

  constructor(readonly dir: string) {}

  private get snapshotPath(): string {
    return join(this.dir, 'pool.json');
  }

  private get journalPath(): string {
    return join(this.dir, 'pool.journal');
  }

  // The snapshot with the journal replayed; a torn last journal line (SIGKILL mid-write) ends the replay.
  async load(): Promise<LoadedPool | undefined> {
    await mkdir(this.dir, { recursive: true });
    const snapshot = await readFile(this.snapshotPath, 'utf8').catch(() => undefined);
    if (snapshot === undefined) return undefined;
    const parsed = JSON.parse(snapshot) as { epoch: number; meta: PoolMeta; rows: StoredRow[] };
    const pool: LoadedPool = { meta: parsed.meta, rows: new Map(parsed.rows.map((r) => [key(r[0], r[1]), r])) };
    this.epoch = parsed.epoch;
    const text = await readFile(this.journalPath, 'utf8').catch(() => '');
    const lines = text.split('\n');
    let header: { e?: number };
    try {
      header = JSON.parse(lines[0] ?? '') as { e?: number };
    } catch {
      return pool; // no journal, or one torn before its header: the snapshot is all there is
    }
    if (header.e !== this.epoch) return pool;
    for (const line of lines.slice(1)) {
      let entry: JournalLine;
      try {
        entry = JSON.parse(line) as JournalLine;
      } catch {
        break;
      }
      if ('u' in entry) pool.rows.set(key(entry.u[0], entry.u[1]), entry.u);
      else if ('d' in entry) pool.rows.delete(key(entry.d[0], entry.d[1]));
      else pool.meta = entry.m;
    }
    return pool;
  }

  // Compaction: a new snapshot of everything, then a fresh journal of the next epoch.
  async writeSnapshot(meta: PoolMeta, rows: Iterable<StoredRow>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const epoch = this.epoch + 1;
    const body = JSON.stringify({ version: 1, epoch, meta, rows: [...rows] });
    await writeAtomically(this.dir, this.snapshotPath, body);
    this.snapshotBytes = Buffer.byteLength(body);
    this.epoch = epoch;
    await this.journal?.close();
    this.journal = undefined;
    const header = `${JSON.stringify({ e: epoch })}\n`;
    await writeAtomically(this.dir, this.journalPath, header);
    this.journal = await open(this.journalPath, 'a');
    this.journalBytes = header.length;
  }

  async append(lines: JournalLine[]): Promise<void> {
    if (!this.journal) throw new Error('pool journal not open');
    const text = lines.map((l) => `${JSON.stringify(l)}\n`).join('');
    await this.journal.appendFile(text);
    await this.journal.datasync();
    this.journalBytes += Buffer.byteLength(text);
  }

  async close(): Promise<void> {
    await this.journal?.close();
    this.journal = undefined;
  }

  // SIM_RESET / POST /sim/reset: the pool files and everything else kept beside them (disk contents, ...).
  async wipe(): Promise<void> {
    await this.close();
    if ((await stat(this.dir).catch(() => undefined))?.isDirectory()) {
      for (const name of ['pool.json', 'pool.journal', 'pool.json.tmp', 'pool.journal.tmp', 'vdis'])
        await rm(join(this.dir, name), { recursive: true, force: true });
    }
    this.epoch = 0;
  }
}

async function writeAtomically(dir: string, path: string, body: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
