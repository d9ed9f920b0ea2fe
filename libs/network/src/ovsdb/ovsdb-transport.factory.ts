// Opens the byte stream an OVSDB session runs on: unix socket, TCP or TLS (node:net / node:tls).
import net from 'node:net';
import tls from 'node:tls';

/** Where the server listens. `ssl` takes PEM ca/cert/key like ovsdb-server's --ca-cert etc. */
export type OvsdbEndpoint =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | {
      kind: 'ssl';
      host: string;
      port: number;
      ca?: string | Buffer;
      cert?: string | Buffer;
      key?: string | Buffer;
      /** Verify the server certificate against `ca` (default true). */
      rejectUnauthorized?: boolean;
      servername?: string;
      /** Overrides hostname verification (OVS PKI certs name the switch, not the host). */
      checkServerIdentity?: tls.ConnectionOptions['checkServerIdentity'];
    };

/** Parses OVS-style remote strings: `unix:/path`, `tcp:host:port`, `ssl:host:port` (TLS needs options). */
export function parseEndpoint(
  remote: string,
  tlsOptions: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer } = {},
): OvsdbEndpoint {
  const [kind, ...rest] = remote.split(':');
  const tail = rest.join(':');
  if (kind === 'unix' && tail) return { kind: 'unix', path: tail };
  if (kind === 'tcp' || kind === 'ssl') {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(tail);
    if (!m) throw new RangeError(`bad OVSDB remote ${remote}: expected ${kind}:host:port`);
    const host = m[1];
    const port = Number(m[2]);
    return kind === 'tcp' ? { kind, host, port } : { kind, host, port, ...tlsOptions };
  }
  throw new RangeError(`unsupported OVSDB remote ${remote} (unix:, tcp: or ssl:)`);
}

/** Human-readable form for logs and errors. */
export function describeEndpoint(e: OvsdbEndpoint): string {
  return e.kind === 'unix' ? `unix:${e.path}` : `${e.kind}:${e.host}:${e.port}`;
}

/** Connects and resolves once the stream is usable (TLS: after the handshake). */
export function openTransport(e: OvsdbEndpoint, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const readyEvent = e.kind === 'ssl' ? 'secureConnect' : 'connect';
    if (e.kind === 'unix') socket = net.connect({ path: e.path });
    else if (e.kind === 'tcp') socket = net.connect({ host: e.host, port: e.port });
    else {
      socket = tls.connect({
        host: e.host,
        port: e.port,
        ca: e.ca,
        cert: e.cert,
        key: e.key,
        rejectUnauthorized: e.rejectUnauthorized ?? true,
        servername: e.servername ?? (net.isIP(e.host) ? undefined : e.host),
        ...(e.checkServerIdentity ? { checkServerIdentity: e.checkServerIdentity } : {}),
      });
    }
    const timer = setTimeout(() => fail(new Error(`connect to ${describeEndpoint(e)} timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.setNoDelay?.(true);
      resolve(socket);
    });
  });
}
