import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * qcow2 to a dynamic VHD of exactly the same virtual size (force_size: no CHS rounding), for pools whose
 * /import_raw_vdi has no qcow2 (xapi before xen-api PR #6593). qemu-img (Debian qemu-utils) streams it in bounded memory.
 */
export async function qcow2ToVhd(src: string, dst: string): Promise<void> {
  try {
    await run('qemu-img', ['convert', '-q', '-f', 'qcow2', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', src, dst], {
      timeout: 6 * 3600_000,
    });
  } catch (e) {
    await rm(dst, { force: true });
    const stderr = String((e as { stderr?: string }).stderr ?? '')
      .trim()
      .slice(0, 300);
    throw new Qcow2ConversionError(stderr || String((e as Error).message));
  }
}

export class Qcow2ConversionError extends Error {}
