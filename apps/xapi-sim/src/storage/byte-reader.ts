// Exact-size reads over an async stream of Buffers, holding at most one pending chunk (bounded memory).
export class ShortRead extends Error {}

export class ByteReader {
  private pending: Buffer | undefined;
  private readonly it: AsyncIterator<Buffer>;
  position = 0; // bytes consumed so far

  constructor(source: AsyncIterable<Buffer | string>) {
    const inner = source[Symbol.asyncIterator]();
    this.it = {
      next: async () => {
        const r = await inner.next();
        return r.done ? r : { done: false, value: typeof r.value === 'string' ? Buffer.from(r.value) : r.value };
      },
    };
  }

  private async fill(): Promise<boolean> {
    while (!this.pending || this.pending.length === 0) {
      const r = await this.it.next();
      if (r.done) return false;
      this.pending = r.value;
    }
    return true;
  }

  // Up to `max` bytes (at least one), or undefined at the end of the stream.
  async some(max: number): Promise<Buffer | undefined> {
    if (!(await this.fill())) return undefined;
    const out = this.pending!.subarray(0, max);
    this.pending = this.pending!.subarray(out.length);
    this.position += out.length;
    return out;
  }

  async exactly(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let got = 0; got < n;) {
      const b = await this.some(n - got);
      if (!b) throw new ShortRead(`stream ended after ${this.position} bytes, ${n - got} short`);
      parts.push(b);
      got += b.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async skipTo(offset: number): Promise<void> {
    if (offset < this.position) throw new ShortRead(`cannot seek back to ${offset} (at ${this.position})`);
    while (this.position < offset) {
      if (!(await this.some(offset - this.position))) throw new ShortRead(`stream ended at ${this.position}, before ${offset}`);
    }
  }

  // Consumes everything left; the number of bytes.
  async drain(): Promise<number> {
    let n = 0;
    for (let b = await this.some(1 << 20); b; b = await this.some(1 << 20)) n += b.length;
    return n;
  }
}
