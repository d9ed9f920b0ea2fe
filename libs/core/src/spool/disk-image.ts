// What an uploaded disk is, from its first and last 512 bytes: a qcow2 header, a VHD footer, or raw bytes.
import type { ImageDiskFormat } from '../database/entities/image.entity.js';

export interface DiskImageInfo {
  format: ImageDiskFormat;
  /** The disk a VM sees (raw: the bytes; VHD: the footer's current size; qcow2: the header's size). */
  virtualBytes: number;
}

/** Why the bytes are not the disk they claim to be (422 image_invalid). */
export class DiskImageError extends Error {}

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
const VHD_COOKIE = 'conectix';

/** The VHD footer checksum: the ones' complement of the byte sum with the checksum field (64..67) zeroed. */
function vhdChecksum(footer: Buffer): number {
  let sum = 0;
  for (let i = 0; i < footer.length; i++) if (i < 64 || i > 67) sum += footer[i];
  return ~sum >>> 0;
}

function vhd(tail: Buffer): DiskImageInfo {
  if (tail.length !== 512 || tail.toString('latin1', 0, 8) !== VHD_COOKIE)
    throw new DiskImageError('no VHD footer (cookie "conectix") in the last 512 bytes');
  if (tail.readUInt32BE(64) !== vhdChecksum(tail)) throw new DiskImageError('the VHD footer checksum does not match');
  const type = tail.readUInt32BE(60);
  if (type === 4) throw new DiskImageError('a differencing VHD needs its parent: upload a fixed or dynamic VHD');
  if (type !== 2 && type !== 3) throw new DiskImageError(`unknown VHD disk type ${type}`);
  return { format: 'vhd', virtualBytes: Number(tail.readBigUInt64BE(48)) };
}

function qcow2(head: Buffer): DiskImageInfo {
  if (head.length < 32 || head.readUInt32BE(0) !== QCOW2_MAGIC) throw new DiskImageError('no qcow2 header (magic QFI\\xfb)');
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new DiskImageError(`unsupported qcow2 version ${version}`);
  if (head.readBigUInt64BE(8) !== 0n) throw new DiskImageError('a qcow2 image with a backing file cannot be imported on its own');
  return { format: 'qcow2', virtualBytes: Number(head.readBigUInt64BE(24)) };
}

/** The format named (raw, vhd, qcow2), or the one the bytes show when none is: qcow2 magic, VHD footer, else raw. */
export function inspectDiskImage(named: ImageDiskFormat | undefined, bytes: number, head: Buffer, tail: Buffer): DiskImageInfo {
  if (bytes === 0) throw new DiskImageError('the upload is empty');
  const format =
    named ?? (head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC ? 'qcow2' : tail.toString('latin1', 0, 8) === VHD_COOKIE ? 'vhd' : 'raw');
  const info = format === 'vhd' ? vhd(tail) : format === 'qcow2' ? qcow2(head) : { format, virtualBytes: bytes };
  if (!(info.virtualBytes > 0) || !Number.isSafeInteger(info.virtualBytes))
    throw new DiskImageError(`the disk's size (${info.virtualBytes}) is not usable`);
  return info;
}
