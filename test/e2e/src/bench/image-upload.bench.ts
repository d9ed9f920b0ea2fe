// Issue 17's memory goal: a 2 GiB image round trip (upload, import, download) with the API and the worker each under
// 200 MiB of peak RSS (VmHWM). The ratio is the larger peak over the goal: at most 1 holds it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageRoundTrip, peakRss } from '../image-roundtrip.js';
import { startStack } from '../stack.js';

const MiB = 1024 ** 2;
const GOAL = 200 * MiB;
const spool = await mkdtemp(join(tmpdir(), 'bench-spool-'));
const stack = await startStack({}, { IMAGE_SPOOL_DIR: spool });
try {
  await imageRoundTrip(stack, spool, 2048 * MiB);
  for (const [name, child] of [
    ['API', stack.api.child],
    ['worker', stack.worker.child],
  ] as const) {
    const peak = await peakRss(child.pid!);
    const metric = `${name} peak RSS (MiB) over a 2 GiB image round trip vs the 200 MiB goal`;
    console.log(
      JSON.stringify({ bench: 'image-upload', metric, value: peak / MiB, unit: 'MiB', baseline: GOAL / MiB, ratio: peak / GOAL, goal: '<1' }),
    );
  }
} finally {
  await stack.stop();
  await rm(spool, { recursive: true, force: true });
}
