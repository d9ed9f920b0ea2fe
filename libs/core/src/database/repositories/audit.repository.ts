import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { AuditEntryEntity } from '../entities/audit-entry.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { pageBy } from './keyset.js';

export type NewAuditEntry = Omit<AuditEntryEntity, 'createdAt' | 'durationMs'> & { durationMs?: number | null };

/** What the log may be narrowed to: a time window (since inclusive, until exclusive), the key that acted, the route template. */
export interface AuditFilter {
  since?: Date;
  until?: Date;
  actor?: string;
  route?: string;
}

function narrowed(qb: SelectQueryBuilder<AuditEntryEntity>, f: AuditFilter): SelectQueryBuilder<AuditEntryEntity> {
  if (f.since) qb.andWhere('a.created_at >= :since', { since: f.since });
  if (f.until) qb.andWhere('a.created_at < :until', { until: f.until });
  if (f.actor) qb.andWhere('a.api_key_id = :actor', { actor: f.actor });
  if (f.route) qb.andWhere('a.route = :route', { route: f.route });
  return qb;
}

/** The append-only audit log; reads are per tenant, or across tenants for operators. */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, entries: NewAuditEntry[]): Promise<void> {
    if (entries.length) await tx.createQueryBuilder().insert().into(AuditEntryEntity).values(entries).execute();
  }

  list(tenantId: string, page: PageRequest, filter: AuditFilter = {}): Promise<Page<AuditEntryEntity>> {
    const qb = this.ds.manager.createQueryBuilder(AuditEntryEntity, 'a').where('a.tenant_id = :tenantId', { tenantId });
    return pageBy(narrowed(qb, filter), 'a', page);
  }

  /** Cross-tenant: the operators' view of the whole log. */
  listAll(page: PageRequest, filter: AuditFilter = {}): Promise<Page<AuditEntryEntity>> {
    return pageBy(narrowed(this.ds.manager.createQueryBuilder(AuditEntryEntity, 'a'), filter), 'a', page);
  }
}
