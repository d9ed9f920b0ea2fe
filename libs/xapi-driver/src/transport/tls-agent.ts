import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

/** How to trust a pool's HTTPS certificate (XCP-ng's own is self-signed); at most one of `ca` and `fingerprint256`. */
export interface XapiTlsOptions {
  /** PEM CA certificate(s) to verify the chain and host name against, instead of the system roots */
  ca?: string;
  /** SHA-256 fingerprint of the server certificate itself (hex, colons optional): it alone is trusted, names unchecked */
  fingerprint256?: string;
  /** Accept any certificate (tests, labs) */
  allowUnauthorized?: boolean;
}

/** The TLS handshake finished but the certificate is not the one we trust; nothing was sent on that connection. */
export class TlsTrustError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `ab:CD…` or `abcd…` as Node prints fingerprints: upper-case hex pairs joined by colons. */
export function normaliseFingerprint(text: string): string {
  const hex = text.replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new RangeError('a SHA-256 fingerprint is 64 hex digits (colons optional)');
  return hex.match(/../g)!.join(':');
}

/**
 * An HTTPS agent that hands a socket to a request only once its certificate is trusted, so no byte (a login's
 * password included) ever reaches a server we did not verify. Sessions are not resumed: every connection shows its
 * certificate.
 */
export class VerifyingHttpsAgent extends https.Agent {
  private readonly pin: string | undefined;

  constructor(tlsOptions: XapiTlsOptions, agentOptions: https.AgentOptions) {
    const pinned = tlsOptions.fingerprint256 !== undefined;
    super({ ...agentOptions, ca: tlsOptions.ca, rejectUnauthorized: !pinned && !tlsOptions.allowUnauthorized, maxCachedSessions: 0 });
    this.pin = pinned ? normaliseFingerprint(tlsOptions.fingerprint256!) : undefined;
  }

  override createConnection(options: tls.ConnectionOptions, done: (err: Error | null, socket?: Duplex) => void): undefined {
    const socket = tls.connect(options);
    let handed = false;
    let connected = false;
    const finish = (err: Error | null) => {
      if (handed) return;
      handed = true;
      if (err) socket.destroy();
      done(err, err ? undefined : socket);
    };
    socket.once('connect', () => (connected = true));
    socket.once('secureConnect', () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      if (this.pin && fingerprint !== this.pin) {
        finish(
          new TlsTrustError('ERR_TLS_FINGERPRINT_MISMATCH', `the certificate's SHA-256 fingerprint ${fingerprint} is not the pinned ${this.pin}`),
        );
      } else {
        finish(null);
      }
    });
    // After the TCP connect, a failure is the handshake's: the certificate was refused (or TLS is not spoken).
    socket.once('error', (e: NodeJS.ErrnoException) => finish(connected ? new TlsTrustError(e.code ?? 'ERR_TLS', e.message) : e));
    return undefined;
  }

  /** A socket of our own to host:port, handed over only once trusted, for a connection that is not a request (CONNECT). */
  connect(host: string, port: number): Promise<tls.TLSSocket> {
    const options = { ...this.options, host, port, servername: net.isIP(host) ? undefined : host } as tls.ConnectionOptions;
    return new Promise((resolve, reject) => this.createConnection(options, (err, socket) => (err ? reject(err) : resolve(socket as tls.TLSSocket))));
  }
}
