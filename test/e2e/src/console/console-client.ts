// The tenant's side of a console, test-only: the WebSocket noVNC would open, a minimal RFB 3.8 handshake to check
// what comes back, and a TCP↔WebSocket shim so that Debian's vncsnapshot (raw TCP) can be the referee VNC client.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import WebSocket, { createWebSocketStream } from 'ws';

const exec = promisify(execFile);

export type Opened = { ok: true; ws: WebSocket; stream: Duplex; protocol: string } | { ok: false; status: number; body: any };

/** Opens the console URL as noVNC does (subprotocol `binary`); a refusal answers its status and problem body. */
export function openConsole(url: string, protocols: string[] = ['binary']): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('utf8')));
      res.on('end', () => {
        ws.terminate();
        resolve({ ok: false, status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    ws.once('open', () => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => undefined);
      resolve({ ok: true, ws, stream, protocol: ws.protocol });
    });
    ws.once('error', (e) => reject(e));
  });
}

/** Resolves when the WebSocket is closed, with the close code. */
export function closed(ws: WebSocket): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(1006);
  return new Promise((r) => ws.once('close', (code) => r(code)));
}

// Collects chunks and joins them only once a read can be served (a 1 MB update arrives in many chunks).
class Reader {
  private chunks: Buffer[] = [];
  private length = 0;
  private wake: (() => void) | undefined;
  private ended = false;
  constructor(stream: Duplex) {
    stream.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.length;
      this.wake?.();
    });
    stream.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    stream.resume(); // a console stream may be handed over paused
  }
  async read(n: number): Promise<Buffer> {
    while (this.length < n) {
      if (this.ended) throw new Error(`stream ended after ${this.length} of ${n} bytes`);
      await new Promise<void>((r) => (this.wake = r));
    }
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    return all.subarray(0, n);
  }
}

export interface RfbScreen {
  version: string;
  width: number;
  height: number;
  name: string;
  /** bytes of the first framebuffer update's first rectangle */
  pixelBytes: number;
}

export interface RfbClient {
  screen: Omit<RfbScreen, 'pixelBytes'>;
  /** Asks for the whole screen (non-incremental) and reads the answer's first Raw rectangle: answers its bytes. */
  update(): Promise<number>;
}

/** RFB 3.8 with security None, up to ServerInit. */
export async function rfbClient(stream: Duplex): Promise<RfbClient> {
  const r = new Reader(stream);
  const version = (await r.read(12)).toString('latin1');
  stream.write('RFB 003.008\n');
  const types = await r.read((await r.read(1))[0]);
  if (!types.includes(1)) throw new Error('security None not offered');
  stream.write(Buffer.from([1]));
  if ((await r.read(4)).readUInt32BE(0) !== 0) throw new Error('security failed');
  stream.write(Buffer.from([1]));
  const init = await r.read(24);
  const [width, height, bpp] = [init.readUInt16BE(0), init.readUInt16BE(2), init[4]];
  const name = (await r.read(init.readUInt32BE(20))).toString('utf8');
  const request = Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  request.writeUInt16BE(width, 6);
  request.writeUInt16BE(height, 8);
  return {
    screen: { version, width, height, name },
    async update() {
      stream.write(request);
      const header = await r.read(16);
      if (header[0] !== 0 || header.readInt32BE(12) !== 0) throw new Error('expected a Raw framebuffer update');
      const pixelBytes = header.readUInt16BE(8) * header.readUInt16BE(10) * (bpp / 8);
      await r.read(pixelBytes);
      return pixelBytes;
    },
  };
}

/** The handshake, then one full framebuffer update. */
export async function rfbHandshake(stream: Duplex): Promise<RfbScreen> {
  const c = await rfbClient(stream);
  return { ...c.screen, pixelBytes: await c.update() };
}

/** A loopback TCP port; each connection is relayed to a console WebSocket whose URL `nextUrl` asks the API for. */
export async function tcpToWebSocket(nextUrl: () => Promise<string>): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((tcp) => {
    sockets.add(tcp);
    tcp.on('close', () => sockets.delete(tcp)).on('error', () => tcp.destroy());
    tcp.pause();
    nextUrl()
      .then(openConsole)
      .then((o) => {
        if (!o.ok) return void tcp.destroy();
        o.stream.on('close', () => tcp.destroy());
        tcp.on('close', () => o.ws.close());
        o.stream.pipe(tcp).pipe(o.stream);
        tcp.resume();
      })
      .catch(() => tcp.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Debian's vncsnapshot takes one picture of 127.0.0.1::port; djpeg decodes it: answers the picture's size. */
export async function vncSnapshot(port: number): Promise<{ width: number; height: number; jpegBytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'console-e2e-'));
  try {
    const jpg = join(dir, 'screen.jpg');
    await exec('vncsnapshot', ['-quiet', '-allowblank', `127.0.0.1::${port}`, jpg], { timeout: 30_000 });
    await exec('djpeg', ['-pnm', '-outfile', join(dir, 'screen.ppm'), jpg], { timeout: 30_000 });
    const m = /^P6\s+(\d+)\s+(\d+)\s/.exec((await readFile(join(dir, 'screen.ppm'))).subarray(0, 64).toString('latin1'));
    if (!m) throw new Error('djpeg did not write a binary PPM');
    return { width: Number(m[1]), height: Number(m[2]), jpegBytes: (await readFile(jpg)).length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function vncReferee(): Promise<string | undefined> {
  for (const bin of ['vncsnapshot', 'djpeg']) {
    const ok = await exec('sh', ['-c', `command -v ${bin}`]).then(
      () => true,
      () => false,
    );
    if (!ok) return `${bin} missing (apt-get install vncsnapshot libjpeg-turbo-progs)`;
  }
  return undefined;
}
