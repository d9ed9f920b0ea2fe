import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { DriveContent } from './config-drive.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;

/**
 * The content as an ISO9660 image (Joliet and Rock Ridge, so names keep their case and dashes) made by Debian's
 * genisoimage (a tenth of xorriso's start-up time, inside every VM create): the image's own bytes, and `size`, those
 * rounded up to whole MiB, the size its VDI is created with (only the image is uploaded: a new VDI reads as zeros,
 * and an ISO reader never looks past the volume it describes).
 */
export async function buildIsoImage(content: DriveContent): Promise<{ image: Buffer; size: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'xenplane-drive-'));
  try {
    const root = join(dir, 'root');
    for (const [path, text] of Object.entries(content.files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    await mkdir(root, { recursive: true });
    const out = join(dir, 'drive.iso');
    await run('genisoimage', ['-quiet', '-volid', content.label, '-joliet', '-rock', '-output', out, root]).catch((e: Error) => {
      throw new Error(`genisoimage could not build the config drive (is Debian's genisoimage installed?): ${e.message}`);
    });
    const image = await readFile(out);
    return { image, size: Math.ceil(image.length / MIB) * MIB };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
