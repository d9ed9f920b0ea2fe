import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSshPublicKey, SshKeyError } from './ssh-public-key.js';

// ssh-keygen (openssh-client, in .ci/run) makes the keys and is the referee of their fingerprints.
function keygen(type: string, bits?: number): { pub: string; fingerprint: string } {
  const dir = mkdtempSync(join(tmpdir(), 'xp-sshkey-'));
  try {
    const file = join(dir, 'k');
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', 'alice@example', '-f', file]);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    return { pub: readFileSync(`${file}.pub`, 'utf8'), fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const refused = (line: string, why: RegExp) =>
  assert.throws(
    () => parseSshPublicKey(line),
    (e: unknown) => e instanceof SshKeyError && why.test(e.message),
  );

for (const [type, bits, expectBits] of [
  ['ed25519', undefined, 256],
  ['ecdsa', 256, 256],
  ['ecdsa', 384, 384],
  ['ecdsa', 521, 521],
  ['rsa', 2048, 2048],
  ['rsa', 3072, 3072],
] as const) {
  test(`a ${type}${bits ? `-${bits}` : ''} key from ssh-keygen is accepted with ssh-keygen's fingerprint`, () => {
    const { pub, fingerprint } = keygen(type, bits);
    const key = parseSshPublicKey(pub);
    assert.equal(key.fingerprint, fingerprint);
    assert.equal(key.bits, expectBits);
    assert.equal(key.line, pub.trim(), 'the canonical line is what ssh-keygen wrote');
  });
}

test('RSA keys under 2048 bits are refused, naming the size', () => {
  refused(keygen('rsa', 1024).pub, /at least 2048 bits, this one has 1024/);
});

test('malformed keys are refused with the reason', () => {
  const { pub } = keygen('ed25519');
  const [type, data] = pub.split(' ');
  refused('', /empty/);
  refused('ssh-ed25519', /no key data/);
  refused(`${type} not*base64`, /not base64/);
  refused(`${type} ${data.slice(0, 40)}`, /not base64|ends/);
  refused(`ssh-rsa ${data}`, /says ssh-rsa but the key data is ssh-ed25519/);
  refused(`ssh-dss ${Buffer.from('\0\0\0\x07ssh-dss').toString('base64')}`, /not accepted/);
  refused(`${pub.trim()}\nssh-ed25519 ${data}`, /single line/);
  refused('-----BEGIN PUBLIC KEY-----', /PEM/);
  const extra = Buffer.concat([Buffer.from(data, 'base64'), Buffer.from([0])]).toString('base64');
  refused(`${type} ${extra}`, /bytes after the key/);
  // An ECDSA point that is not on its curve.
  const ec = Buffer.from(keygen('ecdsa', 256).pub.split(' ')[1], 'base64');
  ec[ec.length - 1] ^= 0xff;
  refused(`ecdsa-sha2-nistp256 ${ec.toString('base64')}`, /not a valid public key/);
});
