import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-http-bearer';
import { ApiKeyAuthService, type Principal } from '@xenplane/tenancy';

/** Bearer API keys from the `Authorization` header only: the token resolves to a principal, or the request is 401. */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly apiKeys: ApiKeyAuthService) {
    super();
  }

  // passport-http-bearer also takes `access_token` from the body and the query (RFC 6750 §2.2-2.3), where proxies
  // and logs keep it: it reads a view of the request with neither.
  override authenticate(req: Request, options?: object): void {
    super.authenticate(Object.create(req, { body: { value: undefined }, query: { value: undefined } }) as Request, options);
  }

  async validate(token: string): Promise<Principal | false> {
    return (await this.apiKeys.authenticate(token)) ?? false;
  }
}
