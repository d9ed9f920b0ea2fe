// Dynamic VHD (Microsoft VHD spec) streamed in one pass: parse into block writes, or build from a disk's blocks.
import { randomBytes } from 'node:crypto';
import type { ByteReader } from './byte-reader.js';

export const vhdBlockSize = 2 * 1024 * 1024;
const sector = 512;
const noBlock = 0xffffffff;
const vhdEpoch = Date.UTC(2000, 0, 1) / 1000;

export class VhdError extends Error {}

function checksum(buf: Buffer, at: number): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i++) if (i < at || i >= at + 4) sum += buf[i];
  return ~sum >>> 0;
}

function geometry(size: number): number {
  let total = Math.min(Math.floor(size / sector), 65535 * 16 * 255);
  let spt: number, heads: number, cth: number;
  if (total >= 65535 * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = Math.floor(total / spt);
  } else {
    spt = 17;
    cth = Math.floor(total / spt);
    heads = Math.max(4, Math.floor((cth + 1023) / 1024));
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = Math.floor(total / spt);
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = Math.floor(total / spt);
    }
  }
  total = Math.floor(cth / heads);
  return (((total & 0xffff) << 16) | (heads << 8) | spt) >>> 0;
}

export function footer(size: number, uniqueId: Buffer = randomBytes(16)): Buffer {
  const f = Buffer.alloc(sector);
  f.write('conectix', 0, 'latin1');
  f.writeUInt32BE(2, 8);
  f.writeUInt32BE(0x00010000, 12);
  f.writeBigUInt64BE(512n, 16);
  f.writeUInt32BE(Math.max(0, Math.floor(Date.now() / 1000 - vhdEpoch)), 24);
  f.write('tap\0', 28, 'latin1');
  f.writeUInt32BE(0x00010003, 32);
  f.write('Lnux', 36, 'latin1');
  f.writeBigUInt64BE(BigInt(size), 40);
  f.writeBigUInt64BE(BigInt(size), 48);
  f.writeUInt32BE(geometry(size), 56);
  f.writeUInt32BE(3, 60);
  uniqueId.copy(f, 68);
  f.writeUInt32BE(checksum(f, 64), 64);
  return f;
}

function dynamicHeader(entries: number): Buffer {
  const h = Buffer.alloc(1024);
  h.write('cxsparse', 0, 'latin1');
  h.writeBigUInt64BE(0xffffffffffffffffn, 8);
  h.writeBigUInt64BE(1536n, 16);
  h.writeUInt32BE(0x00010000, 24);
  h.writeUInt32BE(entries, 28);
  h.writeUInt32BE(vhdBlockSize, 32);
  h.writeUInt32BE(checksum(h, 36), 36);
  return h;
}

const bitmapBytes = Math.ceil(vhdBlockSize / sector / 8 / sector) * sector;

/** A dynamic VHD of `size` bytes holding the blocks `present` says exist; `block(i)` reads block i's data. */
export async function* buildVhd(size: number, present: boolean[], block: (i: number) => Promise<Buffer>): AsyncGenerator<Buffer> {
  const entries = Math.ceil(size / vhdBlockSize);
  const foot = footer(size);
  const batBytes = Math.ceil((entries * 4) / sector) * sector;
  const bat = Buffer.alloc(batBytes, 0xff);
  let next = (1536 + batBytes) / sector;
  for (let i = 0; i < entries; i++) {
    if (!present[i]) continue;
    bat.writeUInt32BE(next, i * 4);
    next += (bitmapBytes + vhdBlockSize) / sector;
  }
  yield Buffer.concat([foot, dynamicHeader(entries), bat]);
  const bitmap = Buffer.alloc(bitmapBytes, 0xff);
  for (let i = 0; i < entries; i++) {
    if (!present[i]) continue;
    const data = await block(i);
    yield bitmap;
    yield data.length === vhdBlockSize ? data : Buffer.concat([data, Buffer.alloc(vhdBlockSize - data.length)]);
  }
  yield foot;
}

function parseFooter(f: Buffer): { size: number; dataOffset: number; type: number } {
  if (f.toString('latin1', 0, 8) !== 'conectix') throw new VhdError('not a VHD: no footer copy (only dynamic VHDs stream)');
  if (f.readUInt32BE(64) !== checksum(f, 64)) throw new VhdError('VHD footer checksum mismatch');
  return { size: Number(f.readBigUInt64BE(48)), dataOffset: Number(f.readBigUInt64BE(16)), type: f.readUInt32BE(60) };
}

/** Reads a dynamic VHD from `r` and hands each allocated sector run to `write(offset, data)`; returns the virtual size. */
export async function readVhd(r: ByteReader, maxSize: number, write: (offset: number, data: Buffer) => Promise<void>): Promise<number> {
  const foot = parseFooter(await r.exactly(sector));
  if (foot.type !== 3) throw new VhdError(foot.type === 4 ? 'differencing VHDs need their parent' : `unsupported VHD disk type ${foot.type}`);
  if (foot.size > maxSize) throw new VhdError(`VHD virtual size ${foot.size} exceeds the VDI's ${maxSize}`);
  await r.skipTo(foot.dataOffset);
  const h = await r.exactly(1024);
  if (h.toString('latin1', 0, 8) !== 'cxsparse' || h.readUInt32BE(36) !== checksum(h, 36)) throw new VhdError('bad VHD dynamic header');
  const tableOffset = Number(h.readBigUInt64BE(16));
  const entries = h.readUInt32BE(28);
  const blockSize = h.readUInt32BE(32);
  if (blockSize === 0 || blockSize % sector !== 0 || entries * blockSize < foot.size) throw new VhdError('inconsistent VHD header');
  await r.skipTo(tableOffset);
  const bat = await r.exactly(entries * 4);
  const blocks: Array<{ index: number; at: number }> = [];
  for (let i = 0; i < entries; i++) {
    const s = bat.readUInt32BE(i * 4);
    if (s !== noBlock) blocks.push({ index: i, at: s * sector });
  }
  blocks.sort((a, b) => a.at - b.at);
  const bitmapSize = Math.ceil(blockSize / sector / 8 / sector) * sector;
  for (const b of blocks) {
    await r.skipTo(b.at);
    const bitmap = await r.exactly(bitmapSize);
    const base = b.index * blockSize;
    // runs of sectors present in the bitmap, read in at most 1 MiB pieces
    for (let s = 0; s < blockSize / sector;) {
      const has = (bitmap[s >> 3] & (0x80 >> (s & 7))) !== 0;
      let e = s + 1;
      while (e < blockSize / sector && e - s < 2048 && ((bitmap[e >> 3] & (0x80 >> (e & 7))) !== 0) === has) e++;
      const data = await r.exactly((e - s) * sector);
      const offset = base + s * sector;
      if (has && offset < foot.size) await write(offset, data.subarray(0, Math.min(data.length, foot.size - offset)));
      s = e;
    }
  }
  return foot.size;
}
