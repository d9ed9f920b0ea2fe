import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import passport from 'passport';
import { WebSessionsService, type Principal, type WebSessionAuth } from '@xenplane/tenancy';
import { sessionCookie } from './session-cookie.js';

type Verify = (req: Request, token: string, done: (err: unknown, user?: Principal | false) => void) => void;

/** A request's web session, as the strategy found it: the guard checks its CSRF token on unsafe methods. */
export type WithWebSession = Request & { webSession?: WebSessionAuth };

/** passport's base strategy, reading the session cookie; a request with an Authorization header is bearer's alone. */
class CookieStrategy extends passport.Strategy {
  constructor(private readonly verify: Verify) {
    super();
  }

  override authenticate(req: Request): void {
    const token = req.headers.authorization ? undefined : sessionCookie(req);
    if (!token) return this.fail(401);
    this.verify(req, token, (err, user) => (err ? this.error(err) : user ? this.success(user) : this.fail(401)));
  }
}

/** Web console sessions (`POST /v1/sessions`): the cookie resolves to its key's principal while session and key are live. */
@Injectable()
export class SessionStrategy extends PassportStrategy(CookieStrategy, 'session-cookie') {
  constructor(private readonly sessions: WebSessionsService) {
    super();
  }

  async validate(req: WithWebSession, token: string): Promise<Principal | false> {
    const auth = await this.sessions.authenticate(token);
    if (!auth) return false;
    req.webSession = auth;
    return auth.principal;
  }
}
