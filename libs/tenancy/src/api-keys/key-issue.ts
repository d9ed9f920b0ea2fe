import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { fieldError, InvalidStateError, type ApiKeyEntity } from '@xenplane/core';
import type { ApiKeyRepository, NewApiKey } from './api-key.repository.js';
import { generateToken } from './api-key-token.js';

export interface KeyRequest {
  name: string;
  /** ISO 8601 instant; after it the key answers 401. */
  expiresAt?: string | null;
}

/** The expiry a request asks for: absent or null is none; an instant already past is refused. */
export function expiryOf(expiresAt: string | null | undefined, now = new Date()): Date | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  const at = new Date(expiresAt);
  if (!(at > now)) throw fieldError('expiresAt', 'must be in the future', `expiresAt ${at.toISOString()} is not in the future`);
  return at;
}

/** What rotating `old` may do: a revoked key stays revoked, and the bootstrap identity is the configured token's. */
export function assertRotatable(old: ApiKeyEntity): void {
  if (old.bootstrap) throw new InvalidStateError('the bootstrap identity is BOOTSTRAP_OPERATOR_TOKEN: change that setting instead');
  if (old.revokedAt) throw new InvalidStateError(`api key ${old.id} is revoked: create a new key instead`);
}

/** Inserts a key with a fresh token (shown once, stored hashed) in `tx`. */
export async function issueKey(
  tx: EntityManager,
  keys: ApiKeyRepository,
  fields: Omit<NewApiKey, 'id' | 'prefix' | 'secretHash'> & { id?: string },
): Promise<{ key: ApiKeyEntity; token: string }> {
  const generated = generateToken();
  const key = await keys.insert(tx, { id: randomUUID(), ...fields, prefix: generated.prefix, secretHash: generated.secretHash });
  return { key, token: generated.token };
}
