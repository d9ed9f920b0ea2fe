import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  AuditRepository,
  LOGGER,
  NotFoundError,
  type AuditEntryEntity,
  type AuditFilter,
  type NewAuditEntry,
  type Page,
  type PageRequest,
} from '@xenplane/core';
import { auditWriteFailures } from '../common/api.metrics.js';
import { isOperator, type Principal } from '@xenplane/tenancy';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PATH = 2048;
const MAX_BATCH = 500;

/** What the HTTP layer saw of one finished request. */
export interface AuditFacts {
  method: string;
  /** The matched route template; undefined when no route matched (such requests never reach authentication). */
  route: string | undefined;
  path: string;
  /** undefined when the client went away before the answer was sent. */
  status: number | undefined;
  principal: Principal | undefined;
  /** The tenant the request resolved to act on, if it got that far. */
  actingTenantId: string | undefined;
  params: Record<string, string>;
  query: Record<string, unknown>;
  createdId: string | undefined;
  errorCode: string | undefined;
  requestId: string;
  /** Digests of the body's secret fields (the fields themselves are never kept). */
  details?: Record<string, string>;
}

const uuidOrNull = (v: unknown): string | null => (typeof v === 'string' && UUID_RE.test(v) ? v.toLowerCase() : null);

/**
 * Who did what, when, and with which result: every state-changing request made with a valid key. Failed
 * authentication is counted and sampled instead (AuthFailuresService): anyone can cause it, so it must not fill this log.
 */
@Injectable()
export class AuditService implements OnApplicationShutdown {
  private queued: NewAuditEntry[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Queues the request's audit row if it is one to keep; never throws (the answer has already gone out). */
  record(f: AuditFacts): void {
    const entry = this.entryFor(f);
    if (!entry) return;
    this.queued.push(entry);
    this.flushing ??= this.flushSoon();
  }

  /** Runs after the HTTP server has closed and before the database does, so the last requests' rows are kept. */
  async onApplicationShutdown(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  // One multi-row insert per tick: under a burst, audit takes one pooled connection instead of one per request.
  private async flushSoon(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queued.length) {
      const batch = this.queued.splice(0, MAX_BATCH);
      await this.audit.insert(this.ds.manager, batch).catch((err: unknown) => {
        auditWriteFailures.inc(batch.length);
        this.logger.error({ err, audit: batch }, 'audit rows could not be written');
      });
    }
    this.flushing = null;
  }

  list(p: Principal, tenantId: string | undefined, page: PageRequest, filter: AuditFilter): Promise<Page<AuditEntryEntity>> {
    if (isOperator(p)) return tenantId ? this.audit.list(tenantId, page, filter) : this.audit.listAll(page, filter);
    // A tenant admin naming another tenant learns nothing, as everywhere else.
    if (tenantId && tenantId !== p.tenantId) throw new NotFoundError('tenant', tenantId);
    return this.audit.list(p.tenantId!, page, filter);
  }

  private entryFor(f: AuditFacts): NewAuditEntry | null {
    if (!STATE_CHANGING.has(f.method) || !f.route) return null;
    if (!f.principal) return null;
    const status = f.status ?? 499;
    const ids = Object.entries(f.params)
      .filter(([k]) => k !== 'tenantId')
      .map(([, v]) => uuidOrNull(v))
      .filter((v) => v !== null);
    const tenantId =
      f.actingTenantId ?? f.principal.tenantId ?? uuidOrNull(f.params.tenantId) ?? this.tenantOfTenantRoute(f) ?? uuidOrNull(f.query.tenantId);
    return {
      id: randomUUID(),
      tenantId: tenantId ?? null,
      apiKeyId: f.principal.keyId,
      apiKeyName: f.principal.keyName,
      role: f.principal.role,
      method: f.method,
      route: f.route,
      path: f.path.slice(0, MAX_PATH),
      resourceId: ids.at(-1) ?? uuidOrNull(f.createdId),
      status,
      outcome: f.status === undefined ? 'unknown' : status < 400 ? 'succeeded' : 'failed',
      errorCode: f.status === undefined ? 'client_closed_request' : status >= 400 ? (f.errorCode ?? null) : null,
      requestId: f.requestId,
      details: f.details ?? null,
    };
  }

  /** Operator routes on one tenant (`/v1/tenants/:id/...`) act on the tenant named in the path. */
  private tenantOfTenantRoute(f: AuditFacts): string | null {
    return f.route?.startsWith('/v1/tenants/:id') ? uuidOrNull(f.params.id) : null;
  }
}
