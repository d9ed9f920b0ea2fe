import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';

/** A validated OpenSSH public key line, normalised to `type base64 [comment]`, with `ssh-keygen -lf`'s fingerprint. */
export interface SshPublicKey {
  type: string;
  /** The canonical authorized_keys line: type, base64 blob and the comment, if any */
  line: string;
  /** `SHA256:` + unpadded base64 of the blob's sha256, as OpenSSH prints it */
  fingerprint: string;
  bits: number;
}

/** Why a key was refused, in words a tenant can act on. */
export class SshKeyError extends Error {}

const CURVES: Record<string, { jwk: string; bytes: number; bits: number }> = {
  nistp256: { jwk: 'P-256', bytes: 32, bits: 256 },
  nistp384: { jwk: 'P-384', bytes: 48, bits: 384 },
  nistp521: { jwk: 'P-521', bytes: 66, bits: 521 },
};
const MIN_RSA_BITS = 2048;
const ACCEPTED = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/;
const ACCEPTED_WORDS = 'use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa (2048 bits or more)';
const MAX_LINE = 16_384;

/** RFC 4251 `string`s read off the key blob. */
class BlobReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  next(what: string): Buffer {
    if (this.at + 4 > this.buf.length) throw new SshKeyError(`the key data ends before its ${what}`);
    const len = this.buf.readUInt32BE(this.at);
    if (this.at + 4 + len > this.buf.length) throw new SshKeyError(`the key data ends inside its ${what}`);
    const out = this.buf.subarray(this.at + 4, this.at + 4 + len);
    this.at += 4 + len;
    return out;
  }

  end(): void {
    if (this.at !== this.buf.length) throw new SshKeyError('the key data has bytes after the key');
  }
}

const b64url = (b: Buffer) => b.toString('base64url');
// An mpint may carry a leading zero byte so that it reads as positive.
const unsigned = (b: Buffer) => (b.length > 1 && b[0] === 0 ? b.subarray(1) : b);

function checkWithCrypto(jwk: JsonWebKey, what: string): void {
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new SshKeyError(`the ${what} key data is not a valid public key`);
  }
}

function rsaBits(n: Buffer): number {
  const m = unsigned(n);
  return m.length === 0 ? 0 : (m.length - 1) * 8 + (32 - Math.clz32(m[0]));
}

function keyBits(type: string, r: BlobReader): number {
  if (type === 'ssh-ed25519') {
    const pk = r.next('public key');
    if (pk.length !== 32) throw new SshKeyError(`an ssh-ed25519 key is 32 bytes, this one ${pk.length}`);
    checkWithCrypto({ kty: 'OKP', crv: 'Ed25519', x: b64url(pk) }, 'ssh-ed25519');
    return 256;
  }
  if (type === 'ssh-rsa') {
    const e = r.next('exponent');
    const n = r.next('modulus');
    const bits = rsaBits(n);
    if (bits < MIN_RSA_BITS) throw new SshKeyError(`ssh-rsa keys must have at least ${MIN_RSA_BITS} bits, this one has ${bits}`);
    checkWithCrypto({ kty: 'RSA', n: b64url(unsigned(n)), e: b64url(unsigned(e)) }, 'ssh-rsa');
    return bits;
  }
  const curveName = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(type)?.[1];
  if (curveName) {
    const curve = CURVES[curveName];
    if (r.next('curve name').toString('latin1') !== curveName) throw new SshKeyError(`the ${type} key data names another curve`);
    const q = r.next('point');
    if (q.length !== 1 + 2 * curve.bytes || q[0] !== 4) throw new SshKeyError(`the ${type} key data is not an uncompressed ${curveName} point`);
    const x = q.subarray(1, 1 + curve.bytes);
    const y = q.subarray(1 + curve.bytes);
    checkWithCrypto({ kty: 'EC', crv: curve.jwk, x: b64url(x), y: b64url(y) }, type);
    return curve.bits;
  }
  throw new SshKeyError(`key type ${type.slice(0, 40)} is not accepted: ${ACCEPTED_WORDS}`);
}

/** Parses one public key line as ssh-keygen writes it (`type base64 [comment]`); throws SshKeyError naming the problem. */
export function parseSshPublicKey(input: string): SshPublicKey {
  const text = input.trim();
  if (text.length === 0) throw new SshKeyError('the public key is empty');
  if (text.length > MAX_LINE) throw new SshKeyError(`the public key is longer than ${MAX_LINE} characters`);
  if (/[\r\n]/.test(text)) throw new SshKeyError('the public key must be a single line');
  if (text.startsWith('-----BEGIN'))
    throw new SshKeyError('this is a PEM block, not an OpenSSH public key line; give the .pub file ssh-keygen wrote');
  const [type, data, ...comment] = text.split(/[ \t]+/);
  if (!ACCEPTED.test(type)) throw new SshKeyError(`key type ${type.slice(0, 40)} is not accepted: ${ACCEPTED_WORDS}`);
  if (!data) throw new SshKeyError('the public key has no key data after its type');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) throw new SshKeyError('the key data is not base64');
  const blob = Buffer.from(data, 'base64');
  const r = new BlobReader(blob);
  const inner = r.next('type').toString('latin1');
  if (inner !== type) throw new SshKeyError(`the line says ${type.slice(0, 40)} but the key data is ${inner.slice(0, 40) || 'unnamed'}`);
  const bits = keyBits(type, r);
  r.end();
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (comment.some((c) => /[\u0000-\u001f\u007f]/.test(c))) throw new SshKeyError('the comment has control characters');
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { type, line: [type, blob.toString('base64'), ...comment].join(' '), fingerprint, bits };
}
