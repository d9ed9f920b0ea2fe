import { createHash } from 'node:crypto';
import { type CallHandler, type ExecutionContext, HttpStatus, Injectable, type NestInterceptor, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { DataSource } from 'typeorm';
import { ConflictError, DomainError, IdempotencyRepository, NotFoundError, canonicalJson, fieldError } from '@xenplane/core';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { SECRET_FIELDS_KEY, withoutSecrets } from './secret-fields.decorator.js';
import { IDEMPOTENCY_LOCAL, type RequestMeta } from './request-meta.decorator.js';
import { UUID_RE } from './uuid-param.pipe.js';
import { pinnedStatus } from './answer-status.js';

const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const WAIT_MS = 10_000;
// A claim this old with nothing launched belongs to a request that died; a later retry may take it over.
const STALE_MS = 30_000;

interface Claim {
  scope: string;
  key: string;
  hash: Buffer;
  req: Request & { user: Principal };
  res: Response;
  status: number;
  secrets: string[];
}

/**
 * `Idempotency-Key` on state-changing requests: the same key and body replay the first answer, another body is
 * 422, a concurrent duplicate waits for the first; the operation a request launches is bound to its key in the
 * same transaction, so even a crash mid-request can never run it twice. Keys belong to the API key that sent
 * them (another key, even of the same tenant, never sees its answers); a replay comes after the guard's role
 * check and the handler's tenant check; answer fields marked `@ReturnsSecret` are never stored.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keys: IdempotencyRepository,
    private readonly access: TenantAccessService,
    private readonly reflector: Reflector,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request & { user?: Principal }>();
    const key = req.header('idempotency-key');
    if (!key || !['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method) || !req.user) return next.handle();
    if (!KEY_RE.test(key)) {
      throw fieldError('Idempotency-Key', 'invalid', 'Idempotency-Key must be 1 to 255 printable characters');
    }
    const claim: Claim = {
      scope: `key:${req.user.keyId}`,
      key,
      hash: createHash('sha256')
        .update(`${req.method} ${req.originalUrl}\n${canonicalJson(req.body ?? null)}`)
        .digest(),
      req: req as Claim['req'],
      res: ctx.switchToHttp().getResponse<Response>(),
      status: this.statusFor(ctx),
      secrets: this.reflector.get<string[] | undefined>(SECRET_FIELDS_KEY, ctx.getHandler()) ?? [],
    };
    return from(this.run(claim, next));
  }

  private async run(c: Claim, next: CallHandler): Promise<unknown> {
    const { scope, key, hash, res } = c;
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const existing = await this.keys.claim(this.ds.manager, scope, key, hash);
      if (!existing) break;
      if (!existing.requestHash.equals(hash)) {
        throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was used with another request');
      }
      if (existing.statusCode !== null) {
        await this.authorise(c.req);
        res.status(existing.statusCode).setHeader('Idempotent-Replayed', 'true');
        if (existing.responseLocation) res.setHeader('Location', existing.responseLocation);
        return existing.responseBody;
      }
      if (existing.ageMs > STALE_MS) {
        if (existing.operationId) {
          throw new ConflictError(`the request with this key was accepted as operation ${existing.operationId}`, {
            operationId: existing.operationId,
          });
        }
        if (await this.keys.takeOver(this.ds.manager, scope, key, STALE_MS)) break;
      }
      if (Date.now() > deadline) throw new ConflictError('a request with this Idempotency-Key is still in progress; retry later');
      await new Promise((r) => setTimeout(r, 50));
    }
    // The handler's @RequestMeta: the operation it launches is bound to the key in the same transaction.
    res.locals[IDEMPOTENCY_LOCAL] = { scope, key } satisfies RequestMeta['idempotency'];
    try {
      const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const location = res.getHeader('location');
      await this.keys.complete(
        this.ds.manager,
        scope,
        key,
        pinnedStatus(res) ?? c.status,
        withoutSecrets(body, c.secrets),
        typeof location === 'string' ? location : null,
      );
      return body;
    } catch (err) {
      await this.keys.release(this.ds.manager, scope, key);
      throw err;
    }
  }

  /**
   * The handler's own checks of who may act on which tenant, made again before its answer is replayed: the
   * tenant named in the path or `?tenantId=` (or a tenant key's own) must still exist and be the caller's.
   */
  private async authorise(req: Claim['req']): Promise<void> {
    const param = req.params?.tenantId;
    const named = typeof param === 'string' ? param : typeof req.query?.tenantId === 'string' ? req.query.tenantId : undefined;
    if (named !== undefined && !UUID_RE.test(named)) throw new NotFoundError('tenant', named);
    if (named !== undefined || req.user.role !== 'operator') await this.access.resolve(req.user, named);
  }

  /** The status Nest will send: the handler's @HttpCode, else 201 for POST and 200 otherwise. */
  private statusFor(ctx: ExecutionContext): number {
    const explicit = Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) as number | undefined;
    if (explicit) return explicit;
    return Reflect.getMetadata(METHOD_METADATA, ctx.getHandler()) === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK;
  }
}
