// Issue 17's proof end to end with the real processes: a 2 GiB disk uploaded, imported into the pool and downloaded
// back byte for byte. Its peak memory is a benchmark (`bench/image-upload.bench.ts`, the same round trip), not asserted.
import { after, before, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageRoundTrip } from './image-roundtrip.js';
import { startStack, type Stack } from './stack.js';

let stack: Stack;
let spool: string;
before(async () => {
  spool = await mkdtemp(join(tmpdir(), 'e2e-spool-'));
  stack = await startStack({}, { IMAGE_SPOOL_DIR: spool });
});
after(async () => {
  await stack?.stop();
  await rm(spool, { recursive: true, force: true });
});

test('a 2 GiB upload is imported, and downloads back byte for byte', { timeout: 600_000 }, async () => {
  await imageRoundTrip(stack, spool, 2048 * 1024 ** 2);
});
