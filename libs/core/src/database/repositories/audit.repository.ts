import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEntryEntity } from '../entities/audit-entry.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { pageBy } from './keyset.js';

export type NewAuditEntry = Omit<AuditEntryEntity, 'createdAt' | 'durationMs'> & { durationMs?: number | null };

/** The append-only audit log; reads are per tenant, or across tenants for operators. */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, entries: NewAuditEntry[]): Promise<void> {
    if (entries.length) await tx.createQueryBuilder().insert().into(AuditEntryEntity).values(entries).execute();
  }

  list(tenantId: string, page: PageRequest): Promise<Page<AuditEntryEntity>> {
    const qb = this.ds.manager.createQueryBuilder(AuditEntryEntity, 'a').where('a.tenant_id = :tenantId', { tenantId });
    return pageBy(qb, 'a', page);
  }

  /** Cross-tenant: the operators' view of the whole log. */
  listAll(page: PageRequest): Promise<Page<AuditEntryEntity>> {
    return pageBy(this.ds.manager.createQueryBuilder(AuditEntryEntity, 'a'), 'a', page);
  }
}
