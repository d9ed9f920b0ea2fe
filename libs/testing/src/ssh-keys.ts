import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestSshKey {
  /** The .pub line ssh-keygen wrote */
  pub: string;
  /** The private key file (PEM) */
  privatePem: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it */
  fingerprint: string;
}

/** A fresh key made by the real ssh-keygen (openssh-client), with the fingerprint it prints: a referee, not our parser. */
export function sshKeygen(type: 'ed25519' | 'ecdsa' | 'rsa', bits?: number, comment = 'dev@box'): TestSshKey {
  const dir = mkdtempSync(join(tmpdir(), 'xp-sshkey-'));
  try {
    const file = join(dir, 'k');
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', comment, '-f', file]);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    return { pub: readFileSync(`${file}.pub`, 'utf8'), privatePem: readFileSync(file, 'utf8'), fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
