import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Principal } from '../principal.js';
import { ApiKeyAuthService } from '../api-keys/api-key-auth.service.js';
import { WebSessionRepository } from './web-session.repository.js';

/** Absolute, not sliding: a stolen cookie is good for this long at most, whatever its thief does. */
export const WEB_SESSION_TTL_MS = 8 * 3600_000;

export interface IssuedWebSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  principal: Principal;
}

export interface WebSessionAuth {
  principal: Principal;
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

const hash = (token: string) => createHash('sha256').update(token).digest();

/** API keys exchanged for browser sessions; a session is only ever as good as its key at each request. */
@Injectable()
export class WebSessionsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sessions: WebSessionRepository,
    private readonly keys: ApiKeyAuthService,
  ) {}

  /** A new session for a usable API key, or null (the same refusals as a bearer request). */
  async issue(apiKey: string): Promise<IssuedWebSession | null> {
    const principal = await this.keys.authenticate(apiKey);
    if (!principal) return null;
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = await this.ds.transaction(async (tx) => {
      await this.sessions.purgeOld(tx);
      return this.sessions.insert(tx, { id: randomUUID(), apiKeyId: principal.keyId, tokenHash: hash(token), csrfToken, ttlMs: WEB_SESSION_TTL_MS });
    });
    return { token, csrfToken, expiresAt, principal };
  }

  /** The principal a session cookie stands for: null when the session ended or expired, or its key can no longer authenticate. */
  async authenticate(token: string): Promise<WebSessionAuth | null> {
    const s = await this.sessions.findLive(hash(token));
    if (!s) return null;
    const principal = await this.keys.authenticateKeyId(s.apiKeyId);
    return principal ? { principal: { ...principal, sessionId: s.id }, sessionId: s.id, csrfToken: s.csrfToken, expiresAt: s.expiresAt } : null;
  }

  async end(sessionId: string): Promise<void> {
    await this.ds.transaction((tx) => this.sessions.end(tx, sessionId));
  }
}
