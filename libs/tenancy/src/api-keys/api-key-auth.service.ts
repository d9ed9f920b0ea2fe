import { Injectable } from '@nestjs/common';
import type { ApiKeyEntity } from '@xenplane/core';
import type { Principal } from '../principal.js';
import { ApiKeyRepository, type KeyForAuth } from './api-key.repository.js';
import { constantTimeEquals, parseToken, secretMatches } from './api-key-token.js';

/** When BOOTSTRAP_OPERATOR_TOKEN stops working: once an operator key has been created, or never (while it is configured). */
export type BootstrapRetires = 'on-first-operator-key' | 'never';

const TOUCH_EVERY_MS = 60_000;

/** Bearer tokens to principals: generated keys by prefix and hash, the bootstrap token by its configured value. */
@Injectable()
export class ApiKeyAuthService {
  private bootstrapToken: string | undefined;
  private retires: BootstrapRetires = 'on-first-operator-key';
  // Once an operator key exists it always will (rows are revoked, never deleted): remembered, not asked again.
  private retired = false;

  constructor(private readonly keys: ApiKeyRepository) {}

  /** Set once at boot from BOOTSTRAP_OPERATOR_TOKEN and BOOTSTRAP_OPERATOR_TOKEN_RETIRES. */
  configureBootstrapToken(token: string | undefined, retires: BootstrapRetires = 'on-first-operator-key'): void {
    this.bootstrapToken = token;
    this.retires = retires;
    this.retired = false;
  }

  /** Resolves a bearer token to its principal, or null for unknown, malformed, revoked, expired or retired tokens. */
  async authenticate(token: string): Promise<Principal | null> {
    if (this.bootstrapToken && constantTimeEquals(token, this.bootstrapToken)) return this.bootstrap();
    const parsed = parseToken(token);
    if (!parsed) return null;
    const key = await this.keys.findForAuth(parsed.prefix);
    if (!key || key.bootstrap || !secretMatches(parsed.secret, key.secretHash)) return null;
    return this.usable(key);
  }

  /** The principal of a key a web session stands for, under the same rules as its token (revoked, expired, retired). */
  async authenticateKeyId(keyId: string): Promise<Principal | null> {
    const key = await this.keys.findForAuthById(keyId);
    if (!key) return null;
    return key.bootstrap ? this.bootstrap() : this.usable(key);
  }

  private async bootstrap(): Promise<Principal | null> {
    if (this.retires === 'on-first-operator-key' && !this.retired) this.retired = await this.keys.anyOperatorKey();
    if (this.retires === 'on-first-operator-key' && this.retired) return null;
    const key = await this.keys.bootstrap();
    return key ? this.usable(key) : null;
  }

  private async usable(key: KeyForAuth): Promise<Principal | null> {
    if (!isLive(key, new Date())) return null;
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() >= TOUCH_EVERY_MS) await this.keys.touch(key.id);
    return { keyId: key.id, keyName: key.name, role: key.role, tenantId: key.tenantId, tenantSuspended: key.tenantSuspended };
  }
}

/** Neither revoked nor past its expiry. */
export function isLive(key: Pick<ApiKeyEntity, 'revokedAt' | 'expiresAt'>, now: Date): boolean {
  return !key.revokedAt && !(key.expiresAt && key.expiresAt <= now);
}
