// An RFB server (RFC 6143) for one viewer: versions 3.3/3.7/3.8, security None, Raw updates of the test pattern.
// Memory per viewer is bounded: input is capped, updates are written row band by row band, waiting on backpressure.
import type { Duplex } from 'node:stream';
import { NATIVE_FORMAT, colourMapMessage, convertRow, encodePixelFormat, parsePixelFormat, type PixelFormat } from './pixel-format.js';
import type { TestPattern } from './test-pattern.js';

const MAX_PENDING_INPUT = 1024 * 1024; // a client that floods us (or a huge ClientCutText) is cut off
const BAND_BYTES = 64 * 1024;

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

type Step = 'version' | 'security' | 'clientInit' | 'messages';

export class RfbSession {
  private input: Buffer = Buffer.alloc(0);
  private step: Step = 'version';
  private minor = 8;
  private format: PixelFormat = NATIVE_FORMAT;
  private paletteSent = false;
  private sentOnce = false;
  private pending: Rect | undefined; // one coalesced request while an update is being written
  private writing = false;

  constructor(
    private readonly stream: Duplex,
    private readonly screen: TestPattern,
    private readonly name: string,
    head?: Buffer,
  ) {
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', () => stream.destroy());
    stream.write('RFB 003.008\n');
    if (head?.length) this.receive(head);
  }

  private receive(chunk: Buffer): void {
    this.input = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
    if (this.input.length > MAX_PENDING_INPUT) return void this.stream.destroy();
    try {
      while (!this.stream.destroyed && this.advance());
    } catch {
      this.stream.destroy();
    }
  }

  private take(n: number): Buffer | undefined {
    if (this.input.length < n) return undefined;
    const out = this.input.subarray(0, n);
    this.input = this.input.subarray(n);
    return out;
  }

  // Handles one protocol element if it is complete; false when more bytes are needed.
  private advance(): boolean {
    if (this.step === 'version') return this.version();
    if (this.step === 'security') return this.security();
    if (this.step === 'clientInit') return this.clientInit();
    return this.message();
  }

  private version(): boolean {
    const v = this.take(12);
    if (!v) return false;
    const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(v.toString('latin1'));
    if (!m || Number(m[1]) !== 3) throw new Error('not an RFB 3.x client');
    const minor = Number(m[2]);
    this.minor = minor >= 8 ? 8 : minor === 7 ? 7 : 3; // 3.5 and other odd minors behave as 3.3 (RFC 6143 §7.1.1)
    if (this.minor === 3) {
      this.stream.write(u32(1)); // the server picks None
      this.step = 'clientInit';
    } else {
      this.stream.write(Buffer.from([1, 1])); // one security type: None
      this.step = 'security';
    }
    return true;
  }

  private security(): boolean {
    const t = this.take(1);
    if (!t) return false;
    if (t[0] !== 1) {
      if (this.minor === 8) this.stream.write(Buffer.concat([u32(1), lengthPrefixed('security type not offered')]));
      this.stream.end();
      return false;
    }
    if (this.minor === 8) this.stream.write(u32(0)); // SecurityResult OK
    this.step = 'clientInit';
    return true;
  }

  private clientInit(): boolean {
    if (!this.take(1)) return false; // shared flag: every viewer shares the screen anyway
    const size = Buffer.alloc(4);
    size.writeUInt16BE(this.screen.width, 0);
    size.writeUInt16BE(this.screen.height, 2);
    this.stream.write(Buffer.concat([size, encodePixelFormat(NATIVE_FORMAT), lengthPrefixed(this.name)]));
    this.step = 'messages';
    return true;
  }

  private message(): boolean {
    const type = this.input[0];
    if (type === undefined) return false;
    switch (type) {
      case 0: {
        // SetPixelFormat
        const m = this.take(20);
        if (!m) return false;
        const f = parsePixelFormat(m.subarray(4, 20));
        if (!f) throw new Error('unsupported pixel format');
        this.format = f;
        this.paletteSent = false;
        return true;
      }
      case 2: {
        // SetEncodings: Raw is always acceptable, so the list only needs skipping
        if (this.input.length < 4) return false;
        return this.take(4 + 4 * this.input.readUInt16BE(2)) !== undefined;
      }
      case 3: {
        // FramebufferUpdateRequest
        const m = this.take(10);
        if (!m) return false;
        this.request(m[1] !== 0, { x: m.readUInt16BE(2), y: m.readUInt16BE(4), w: m.readUInt16BE(6), h: m.readUInt16BE(8) });
        return true;
      }
      case 4:
        return this.take(8) !== undefined; // KeyEvent
      case 5:
        return this.take(6) !== undefined; // PointerEvent
      case 6: {
        // ClientCutText
        if (this.input.length < 8) return false;
        return this.take(8 + this.input.readUInt32BE(4)) !== undefined;
      }
      default:
        throw new Error(`unknown client message ${type}`);
    }
  }

  // The screen never changes during a connection (a new domain means a new connection), so an incremental
  // request after the first full picture is simply held, as a VNC server does for an idle screen.
  private request(incremental: boolean, r: Rect): void {
    if (incremental && this.sentOnce) return;
    const rect = clip(r, this.screen.width, this.screen.height);
    this.pending = this.pending ? union(this.pending, rect) : rect;
    if (!this.writing) void this.flush();
  }

  private async flush(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending && !this.stream.destroyed) {
        const rect = this.pending;
        this.pending = undefined;
        await this.update(rect);
        this.sentOnce = true;
      }
    } catch {
      this.stream.destroy();
    } finally {
      this.writing = false;
    }
  }

  private async update(r: Rect): Promise<void> {
    if (!this.format.trueColour && !this.paletteSent) {
      await this.write(colourMapMessage());
      this.paletteSent = true;
    }
    const header = Buffer.alloc(16);
    header.writeUInt8(0, 0);
    header.writeUInt16BE(1, 2);
    header.writeUInt16BE(r.x, 4);
    header.writeUInt16BE(r.y, 6);
    header.writeUInt16BE(r.w, 8);
    header.writeUInt16BE(r.h, 10);
    header.writeInt32BE(0, 12); // Raw
    await this.write(header);
    const rowBytes = r.w * (this.format.bitsPerPixel / 8);
    const rowsPerBand = Math.max(1, Math.floor(BAND_BYTES / Math.max(1, rowBytes)));
    const rgb = new Uint8Array(r.w * 3);
    for (let y = r.y; y < r.y + r.h; y += rowsPerBand) {
      const rows = Math.min(rowsPerBand, r.y + r.h - y);
      const band = Buffer.alloc(rows * rowBytes);
      for (let i = 0; i < rows; i++) {
        this.screen.row(y + i, r.x, r.w, rgb);
        convertRow(rgb, r.w, this.format, band, i * rowBytes);
      }
      await this.write(band);
    }
  }

  private write(b: Buffer): Promise<void> {
    if (this.stream.destroyed) return Promise.reject(new Error('closed'));
    if (this.stream.write(b)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        this.stream.off('drain', onDrain);
        this.stream.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error('closed'));
      this.stream.once('drain', onDrain);
      this.stream.once('close', onClose);
    });
  }
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v, 0);
  return b;
}

function lengthPrefixed(s: string): Buffer {
  const text = Buffer.from(s, 'utf8');
  return Buffer.concat([u32(text.length), text]);
}

function clip(r: Rect, width: number, height: number): Rect {
  const x = Math.min(r.x, width),
    y = Math.min(r.y, height);
  return { x, y, w: Math.min(r.w, width - x), h: Math.min(r.h, height - y) };
}

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x),
    y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}
