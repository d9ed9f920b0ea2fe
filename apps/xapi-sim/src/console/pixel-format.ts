// RFB PIXEL_FORMAT (RFC 6143 §7.4): parse, encode, and convert RGB triplets into whatever format the client set.

export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/** What the server offers in ServerInit: 32 bpp, depth 24, little-endian xRGB, as qemu's VNC server does. */
export const NATIVE_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

export function encodePixelFormat(f: PixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(f.bitsPerPixel, 0);
  b.writeUInt8(f.depth, 1);
  b.writeUInt8(f.bigEndian ? 1 : 0, 2);
  b.writeUInt8(f.trueColour ? 1 : 0, 3);
  b.writeUInt16BE(f.redMax, 4);
  b.writeUInt16BE(f.greenMax, 6);
  b.writeUInt16BE(f.blueMax, 8);
  b.writeUInt8(f.redShift, 10);
  b.writeUInt8(f.greenShift, 11);
  b.writeUInt8(f.blueShift, 12);
  return b;
}

/** Parses 16 bytes; undefined for a format this server cannot produce (bpp other than 8/16/32, colour map above 8 bpp). */
export function parsePixelFormat(b: Buffer): PixelFormat | undefined {
  const f: PixelFormat = {
    bitsPerPixel: b.readUInt8(0),
    depth: b.readUInt8(1),
    bigEndian: b.readUInt8(2) !== 0,
    trueColour: b.readUInt8(3) !== 0,
    redMax: b.readUInt16BE(4),
    greenMax: b.readUInt16BE(6),
    blueMax: b.readUInt16BE(8),
    redShift: b.readUInt8(10),
    greenShift: b.readUInt8(11),
    blueShift: b.readUInt8(12),
  };
  if (![8, 16, 32].includes(f.bitsPerPixel)) return undefined;
  if (!f.trueColour && f.bitsPerPixel !== 8) return undefined;
  return f;
}

/** A colour-map client gets a 3-3-2 palette (SetColourMapEntries, RFC 6143 §7.6.2) before its first update. */
export function colourMapMessage(): Buffer {
  const b = Buffer.alloc(6 + 256 * 6);
  b.writeUInt8(1, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(256, 4);
  for (let i = 0; i < 256; i++) {
    const [r, g, bl] = [(i >> 5) & 7, (i >> 2) & 7, i & 3];
    b.writeUInt16BE(Math.round((r * 65535) / 7), 6 + i * 6);
    b.writeUInt16BE(Math.round((g * 65535) / 7), 8 + i * 6);
    b.writeUInt16BE(Math.round((bl * 65535) / 3), 10 + i * 6);
  }
  return b;
}

const scale = (v: number, max: number) => Math.round((v * max) / 255);

/** Converts `count` RGB triplets from `rgb` into `out` (bytesPerPixel * count bytes) in format `f`. */
export function convertRow(rgb: Uint8Array, count: number, f: PixelFormat, out: Buffer, offset: number): void {
  const bytes = f.bitsPerPixel / 8;
  for (let i = 0; i < count; i++) {
    const [r, g, b] = [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
    const v = f.trueColour
      ? ((scale(r, f.redMax) << f.redShift) | (scale(g, f.greenMax) << f.greenShift) | (scale(b, f.blueMax) << f.blueShift)) >>> 0
      : ((r >> 5) << 5) | ((g >> 5) << 2) | (b >> 6);
    const at = offset + i * bytes;
    if (bytes === 1) out[at] = v & 0xff;
    else if (bytes === 2 && f.bigEndian) out.writeUInt16BE(v & 0xffff, at);
    else if (bytes === 2) out.writeUInt16LE(v & 0xffff, at);
    else if (f.bigEndian) out.writeUInt32BE(v, at);
    else out.writeUInt32LE(v, at);
  }
}
