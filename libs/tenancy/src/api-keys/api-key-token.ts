import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_RE = /^xpk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedToken {
  token: string;
  prefix: string;
  secretHash: Buffer;
}

/** A new API key token: public prefix for lookup, 256-bit secret stored only as its SHA-256. */
export function generateToken(): GeneratedToken {
  const prefix = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `xpk_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

export function parseToken(token: string): { prefix: string; secret: string } | null {
  const m = TOKEN_RE.exec(token);
  return m ? { prefix: m[1], secret: m[2] } : null;
}

// A fast hash is enough: secrets are 256 random bits, so there is nothing to brute-force.
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Constant-time comparison of two strings of any length (hashing first equalises their lengths). */
export function constantTimeEquals(a: string, b: string): boolean {
  return timingSafeEqual(hashSecret(a), hashSecret(b));
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const computed = hashSecret(secret);
  return computed.length === storedHash.length && timingSafeEqual(computed, storedHash);
}
