// Test-side console plumbing: the HTTP CONNECT a XAPI client sends, a minimal RFB viewer for protocol checks,
// a local TCP bridge so a real VNC client (Debian's vncsnapshot) can reach a console, and its JPEG decoded by djpeg.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Sends `CONNECT <path?query>` with extra headers; resolves with the answer's head and the socket after it. */
export function httpConnect(
  location: string,
  headers: Record<string, string> = {},
  method = 'CONNECT',
): Promise<{ head: string; socket: net.Socket; rest: Buffer }> {
  const url = new URL(location);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      const lines = [
        `${method} ${url.pathname}${url.search} HTTP/1.0`,
        `Host: ${url.host}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ];
      socket.write(lines.join('\r\n'));
    });
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      resolve({ head: buf.subarray(0, end).toString('latin1'), socket, rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.on('close', () => resolve({ head: buf.toString('latin1'), socket, rest: Buffer.alloc(0) }));
  });
}

/** Reads exactly what `want` asks for from a stream (with bytes already read first). */
export class StreamReader {
  private buf: Buffer;
  private waiting: (() => void) | undefined;
  closed = false;

  constructor(
    private readonly stream: Duplex,
    initial: Buffer = Buffer.alloc(0),
  ) {
    this.buf = initial;
    stream.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiting?.();
    });
    stream.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    stream.resume();
  }

  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`stream closed after ${this.buf.length} of ${n} bytes`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} bytes`);
      await new Promise<void>((r) => {
        this.waiting = r;
        setTimeout(r, 50);
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

export interface RfbPicture {
  version: string;
  width: number;
  height: number;
  name: string;
  pixels: Buffer; // 32 bpp little-endian xRGB, as the server's native format
}

/** An RFB 3.8 handshake with security None and one full Raw update in the server's own pixel format. */
export async function rfbView(stream: Duplex, initial?: Buffer): Promise<RfbPicture> {
  const r = new StreamReader(stream, initial);
  const version = (await r.read(12)).toString('latin1');
  stream.write('RFB 003.008\n');
  const types = await r.read((await r.read(1))[0]);
  if (!types.includes(1)) throw new Error('security None not offered');
  stream.write(Buffer.from([1]));
  if ((await r.read(4)).readUInt32BE(0) !== 0) throw new Error('security failed');
  stream.write(Buffer.from([1]));
  const init = await r.read(24);
  const [width, height] = [init.readUInt16BE(0), init.readUInt16BE(2)];
  const name = (await r.read(init.readUInt32BE(20))).toString('utf8');
  const request = Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  request.writeUInt16BE(width, 6);
  request.writeUInt16BE(height, 8);
  stream.write(request);
  const header = await r.read(16);
  if (header[0] !== 0 || header.readUInt16BE(2) !== 1 || header.readInt32BE(12) !== 0) throw new Error('expected one Raw rectangle');
  const pixels = await r.read(header.readUInt16BE(8) * header.readUInt16BE(10) * 4);
  return { version, width, height, name, pixels };
}

/** A loopback TCP port whose every connection is piped to a freshly opened console stream. */
export async function tcpBridge(open: () => Promise<Duplex>): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    open().then(
      (up) => {
        up.on('error', () => client.destroy());
        up.on('close', () => client.destroy());
        client.on('close', () => up.destroy());
        up.pipe(client);
        client.pipe(up);
      },
      () => client.destroy(),
    );
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

export interface Image {
  width: number;
  height: number;
  rgb: Buffer;
}

/** Debian's vncsnapshot (a TightVNC-based viewer, RFB 3.3) takes one picture of 127.0.0.1::port; djpeg decodes it. */
export async function vncSnapshot(port: number): Promise<Image> {
  const dir = await mkdtemp(join(tmpdir(), 'vncsnap-'));
  try {
    const jpg = join(dir, 'screen.jpg');
    await exec('vncsnapshot', ['-quiet', '-allowblank', '-quality', '95', `127.0.0.1::${port}`, jpg], { timeout: 30_000 });
    await exec('djpeg', ['-pnm', '-outfile', join(dir, 'screen.ppm'), jpg], { timeout: 30_000 });
    const ppm = await readFile(join(dir, 'screen.ppm'));
    const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 64).toString('latin1'));
    if (!m) throw new Error('djpeg did not write a binary PPM');
    return { width: Number(m[1]), height: Number(m[2]), rgb: ppm.subarray(m[0].length) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const realVncClientMissing = async (): Promise<string | undefined> => {
  for (const bin of ['vncsnapshot', 'djpeg']) {
    const ok = await exec('sh', ['-c', `command -v ${bin}`]).then(
      () => true,
      () => false,
    );
    if (!ok) return `${bin} missing (apt-get install vncsnapshot libjpeg-turbo-progs)`;
  }
  return undefined;
};
