// Makes a throwaway CA with a server and a client certificate (openssl CLI, EC keys so it is fast).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM file paths of a test PKI. */
export interface TestPki {
  caCert: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
}

/** True when the openssl CLI is available. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes a CA, a server cert for 127.0.0.1 and a client cert into `dir`. */
export function createTestPki(dir: string): TestPki {
  const p = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = (name: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p(name));
  key('ca-key.pem');
  ssl('req', '-x509', '-new', '-key', p('ca-key.pem'), '-subj', '/CN=xenplane-test-ca', '-days', '2', '-out', p('ca-cert.pem'));
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    key(`${who}-key.pem`);
    ssl('req', '-new', '-key', p(`${who}-key.pem`), '-subj', `/CN=xenplane-test-${who}`, '-out', p(`${who}.csr`));
    ssl(
      'x509',
      '-req',
      '-in',
      p(`${who}.csr`),
      '-CA',
      p('ca-cert.pem'),
      '-CAkey',
      p('ca-key.pem'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      p(`${who}.ext`),
      '-out',
      p(`${who}-cert.pem`),
    );
  }
  return {
    caCert: p('ca-cert.pem'),
    serverKey: p('server-key.pem'),
    serverCert: p('server-cert.pem'),
    clientKey: p('client-key.pem'),
    clientCert: p('client-cert.pem'),
  };
}
