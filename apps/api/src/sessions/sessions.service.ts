import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '@xenplane/core';
import { WebSessionsService, type Principal } from '@xenplane/tenancy';
import { AuthFailuresService } from '../auth/auth-failures.service.js';
import { clearSessionCookie, setSessionCookie } from '../auth/session-cookie.js';
import type { WithWebSession } from '../auth/session.strategy.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import type { SessionView } from './session.dto.js';

const view = (p: Principal, csrfToken: string, expiresAt: Date): SessionView => ({
  csrfToken,
  expiresAt: expiresAt.toISOString(),
  role: p.role,
  tenantId: p.tenantId,
  keyName: p.keyName,
});

/** Login and logout of the web console; the cookie is the only place the browser holds the session. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: WebSessionsService,
    private readonly rateLimits: RateLimitService,
    private readonly failures: AuthFailuresService,
  ) {}

  async login(apiKey: string, req: Request, res: Response): Promise<SessionView> {
    const issued = await this.sessions.issue(apiKey);
    if (!issued) {
      // A login form is a key-guessing oracle like any bearer request: the same address budget and the same counters.
      const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      try {
        await this.rateLimits.consumeUnauthenticated(address);
      } catch (limited) {
        this.failures.record('invalid', address, true);
        throw limited;
      }
      this.failures.record('invalid', address, false);
      throw new DomainError('unauthenticated', 'that API key cannot authenticate (unknown, revoked or expired)');
    }
    setSessionCookie(req, res, issued.token, issued.expiresAt);
    return view(issued.principal, issued.csrfToken, issued.expiresAt);
  }

  current(req: WithWebSession): SessionView {
    const s = this.session(req);
    return view(s.principal, s.csrfToken, s.expiresAt);
  }

  async logout(req: WithWebSession, res: Response): Promise<void> {
    await this.sessions.end(this.session(req).sessionId);
    clearSessionCookie(req, res);
  }

  private session(req: WithWebSession) {
    if (!req.webSession) throw new DomainError('not_found', 'this request carries no session cookie (it authenticated with a bearer key)');
    return req.webSession;
  }
}
