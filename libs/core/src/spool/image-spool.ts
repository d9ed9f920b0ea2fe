import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What a received upload turned out to be: its bytes counted and hashed as they passed, and its first and last 512. */
export interface SpooledUpload {
  path: string;
  bytes: number;
  sha256: string;
  head: Buffer;
  tail: Buffer;
}

export class UploadTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the upload is larger than ${limitBytes} bytes`);
  }
}

const EDGE = 512;

/** Counts, hashes and keeps the edges of what passes; refuses past `limit` bytes. */
class Inspector extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  head = Buffer.alloc(0);
  tail = Buffer.alloc(0);

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(new UploadTooLargeError(this.limit));
    this.hash.update(chunk);
    if (this.head.length < EDGE) this.head = Buffer.concat([this.head, chunk.subarray(0, EDGE - this.head.length)]);
    this.tail = chunk.length >= EDGE ? Buffer.from(chunk.subarray(chunk.length - EDGE)) : Buffer.concat([this.tail, chunk]).subarray(-EDGE);
    done(null, chunk);
  }
}

/**
 * Accepted image uploads on disk until a worker imports them (the API and workers share the directory). A file is
 * written as `<image>.<token>.part` and only renamed to `<image>.<operation>` once the upload is complete, verified
 * and its operation committed, so a worker never sees a partial file and a crashed API leaves only `.part` files.
 */
export class ImageSpool {
  constructor(readonly dir: string) {}

  /** Streams `body` to a new part file (bounded memory: piped with backpressure); on any failure nothing is kept. */
  async receive(imageId: string, body: Readable, limitBytes: number): Promise<SpooledUpload> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${imageId}.${randomUUID()}.part`);
    const inspector = new Inspector(limitBytes);
    try {
      await pipeline(body, inspector, createWriteStream(path, { flags: 'wx' }));
    } catch (e) {
      await this.discard(path);
      throw e;
    }
    return { path, bytes: inspector.bytes, sha256: inspector.hash.digest('hex'), head: inspector.head, tail: inspector.tail };
  }

  /** The part file becomes the operation's input. */
  async accept(partPath: string, imageId: string, operationId: string): Promise<void> {
    await rename(partPath, this.path(imageId, operationId));
  }

  async discard(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  path(imageId: string, operationId: string): string {
    return join(this.dir, `${imageId}.${operationId}`);
  }

  /** The accepted file of an operation and its size, or null when it is gone. */
  async find(imageId: string, operationId: string): Promise<{ path: string; bytes: number } | null> {
    const path = this.path(imageId, operationId);
    return stat(path).then(
      (s) => ({ path, bytes: s.size }),
      () => null,
    );
  }

  read(path: string): Readable {
    return createReadStream(path, { highWaterMark: 64 * 1024 });
  }

  remove(imageId: string, operationId: string): Promise<void> {
    return this.discard(this.path(imageId, operationId));
  }

  /** Every file with its image id, whether it is a part file, and its age (for the sweeper). */
  async entries(): Promise<Array<{ path: string; imageId: string; part: boolean; ageMs: number }>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out = [];
    for (const name of names) {
      const s = await stat(join(this.dir, name)).catch(() => null);
      if (s) out.push({ path: join(this.dir, name), imageId: name.split('.')[0], part: name.endsWith('.part'), ageMs: Date.now() - s.mtimeMs });
    }
    return out;
  }
}
