// An HTTPS listener in front of a plain-HTTP simulator, with a self-signed certificate made by the openssl CLI, as
// an XCP-ng host has out of the box.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';

export interface SelfSigned {
  keyPem: string;
  certPem: string;
  /** As Node prints it: `AB:CD:…` */
  fingerprint256: string;
}

/** A self-signed EC certificate for 127.0.0.1 and localhost. */
export function selfSignedCertificate(cn = 'xcp-ng-host'): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'xp-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'pipe' },
    );
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'), certPem, fingerprint256: new X509Certificate(certPem).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TlsFront {
  url: string;
  /** Application bytes clients sent after the handshake (what an unverified server would have learnt). */
  bytesReceived(): number;
  close(): Promise<void>;
}

/** Terminates TLS with `cert` and pipes each connection to `targetUrl`'s host and port. */
export async function startTlsFront(targetUrl: string, cert: SelfSigned): Promise<TlsFront> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let received = 0;
  const server = tls.createServer({ key: cert.keyPem, cert: cert.certPem }, (client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (c: Buffer) => (received += c.length));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.on('tlsClientError', () => undefined); // a client refusing our certificate is the point of some tests
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    bytesReceived: () => received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
