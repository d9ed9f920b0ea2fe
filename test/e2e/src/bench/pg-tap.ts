// A query log for the benches: a TCP relay in front of Postgres that records each statement a client sends
// (simple Query, or extended Parse + Bind with its text parameters), so a baseline can replay exactly what ran.
import net from 'node:net';

export interface Statement {
  sql: string;
  values: (string | null)[];
  at: number;
}

const cstr = (b: Buffer, at: number): [string, number] => {
  const end = b.indexOf(0, at);
  return [b.toString('utf8', at, end), end + 1];
};

/** Bind's parameter values (text format; binary ones, which pg does not send for these queries, as null). */
function bindValues(body: Buffer): (string | null)[] {
  let at = cstr(body, cstr(body, 0)[1])[1];
  const formats = body.readInt16BE(at);
  at += 2 + formats * 2;
  const n = body.readInt16BE(at);
  at += 2;
  const out: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(at);
    at += 4;
    out.push(len < 0 ? null : body.toString('utf8', at, at + len));
    if (len > 0) at += len;
  }
  return out;
}

export async function startPgTap(target: { host: string; port: number }): Promise<{ port: number; log: Statement[]; close(): Promise<void> }> {
  const log: Statement[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let buf = Buffer.alloc(0);
    let started = false;
    let parsed = '';
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 4 || buf.length < buf.readInt32BE(0)) break;
          buf = buf.subarray(buf.readInt32BE(0));
          started = true;
          continue;
        }
        if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) break;
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, 1 + buf.readInt32BE(1));
        buf = buf.subarray(1 + buf.readInt32BE(1));
        if (type === 'Q') log.push({ sql: cstr(body, 0)[0], values: [], at: performance.now() });
        else if (type === 'P') parsed = cstr(body, cstr(body, 0)[1])[0];
        else if (type === 'B') log.push({ sql: parsed, values: bindValues(body), at: performance.now() });
      }
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    log,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
