// Disk contents as sparse files <dir>/<vdi uuid>: a missing file or a hole reads as zeros; zero blocks are never written.
import { mkdirSync } from 'node:fs';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export const blockSize = 64 * 1024; // zero detection granularity
const ioSize = 1024 * 1024;
const zeros = Buffer.alloc(ioSize);

// memcmp against a zero page, a MiB at a time (a byte loop made a 10 GiB export CPU-bound for minutes)
export function isZero(b: Buffer): boolean {
  for (let at = 0; at < b.length; at += ioSize) {
    const part = b.subarray(at, at + ioSize);
    if (!part.equals(zeros.subarray(0, part.length))) return false;
  }
  return true;
}

export class VdiContentError extends Error {}

// Writes at offsets, keeping the file sparse: a zero block is skipped unless it would cover data already there.
export class SparseWriter {
  private scratch = Buffer.alloc(blockSize);

  private constructor(
    private readonly fh: FileHandle,
    private length: number,
    readonly limit: number,
  ) {}

  static async open(path: string, limit: number): Promise<SparseWriter> {
    const fh = await open(path, 'a+').then(async (f) => (await f.close(), open(path, 'r+')));
    return new SparseWriter(fh, (await fh.stat()).size, limit);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    if (offset + data.length > this.limit) throw new VdiContentError(`write past the end of the disk (${offset + data.length} > ${this.limit})`);
    if (offset >= this.length && isZero(data)) return; // zeros beyond the file: nothing to do (the common case)
    for (let at = 0; at < data.length;) {
      const end = Math.min(data.length, at + blockSize - ((offset + at) % blockSize));
      await this.writeBlock(offset + at, data.subarray(at, end));
      at = end;
    }
  }

  private async writeBlock(offset: number, block: Buffer): Promise<void> {
    if (isZero(block)) {
      if (offset >= this.length) return; // beyond the file: already a hole
      const { bytesRead } = await this.fh.read(this.scratch, 0, block.length, offset);
      if (isZero(this.scratch.subarray(0, bytesRead))) return;
    }
    await this.fh.write(block, 0, block.length, offset);
    this.length = Math.max(this.length, offset + block.length);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export class VdiContent {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(uuid: string): string {
    if (!/^[0-9a-f-]{36}$/i.test(uuid)) throw new VdiContentError(`not a VDI uuid: ${uuid}`);
    return join(this.dir, uuid);
  }

  // Bytes the file holds on disk (what a thin SR reports as physical_utilisation).
  async allocated(uuid: string): Promise<number> {
    return stat(this.path(uuid)).then(
      (s) => s.blocks * 512,
      () => 0,
    );
  }

  async length(uuid: string): Promise<number> {
    return stat(this.path(uuid)).then(
      (s) => s.size,
      () => 0,
    );
  }

  // The directory goes with a pool reset (POST /sim/reset), so it is made again on the first write after one.
  async writer(uuid: string, size: number): Promise<SparseWriter> {
    await mkdir(this.dir, { recursive: true });
    return SparseWriter.open(this.path(uuid), size);
  }

  async remove(uuid: string): Promise<void> {
    await rm(this.path(uuid), { force: true });
  }

  // `size` bytes from `from`, zeros past the end of the file, in bounded chunks.
  async *chunks(uuid: string, size: number, from = 0, chunk = ioSize): AsyncGenerator<{ offset: number; data: Buffer }> {
    const fh = await open(this.path(uuid), 'r').catch(() => undefined);
    try {
      for (let offset = from; offset < size; offset += chunk) {
        const n = Math.min(chunk, size - offset);
        const data = Buffer.allocUnsafe(n); // filled by the read; past the end of the file, zeros
        const { bytesRead } = fh ? await fh.read(data, 0, n, offset) : { bytesRead: 0 };
        yield { offset, data: data.fill(0, bytesRead) };
      }
    } finally {
      await fh?.close();
    }
  }

  readStream(uuid: string, size: number): Readable {
    const it = this.chunks(uuid, size);
    return Readable.from(
      (async function* () {
        for await (const c of it) yield c.data;
      })(),
    );
  }

  /**
   * Copies src into dst as sparse_dd does: with `base`, only blocks where src differs from base; `sparse` skips src's
   * zero blocks (dst is assumed zeroed), else zeros are written over whatever dst held.
   */
  async copy(src: string, dst: string, size: number, opts: { base?: string; sparse: boolean }): Promise<void> {
    const lengths = await Promise.all([this.length(src), opts.base ? this.length(opts.base) : 0, opts.sparse ? 0 : this.length(dst)]);
    const end = Math.min(size, Math.max(...lengths));
    const writer = await this.writer(dst, size);
    const base = opts.base ? this.chunks(opts.base, end, 0, blockSize) : undefined;
    try {
      for await (const { offset, data } of this.chunks(src, end, 0, blockSize)) {
        const step = base ? await base.next() : undefined;
        if (step && !step.done && data.equals(step.value.data)) continue;
        if (opts.sparse && !base && isZero(data)) continue; // a block that differs from base is written even as zeros
        await writer.write(offset, data);
      }
    } finally {
      await base?.return(undefined);
      await writer.close();
    }
  }
}
