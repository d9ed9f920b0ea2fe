import type { DataSource, EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { CatalogItem } from '../entities/catalog-item.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { one } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

/** A new flavor or image: its own columns, and who may see it (public unless said otherwise). */
export type NewCatalogItem<T> = Omit<T, 'createdAt' | 'updatedAt' | 'status' | 'visibility' | 'tenantIds'> &
  Partial<Pick<CatalogItem, 'visibility' | 'tenantIds'>>;
export type CatalogPatch = Partial<Pick<CatalogItem, 'name' | 'status' | 'visibility' | 'tenantIds'>>;
/** The live VMs that use an item: how many, and the newest few ids. */
export interface CatalogUsage {
  count: number;
  vmIds: string[];
}

const VISIBLE = `(x.visibility = 'public' OR CAST(:viewer AS uuid) = ANY(x.tenant_ids))`;
// Images have owners too: a private image is its tenant's.
const VISIBLE_OWNED = `(x.visibility = 'public' OR CAST(:viewer AS uuid) = ANY(x.tenant_ids) OR x.tenant_id = CAST(:viewer AS uuid))`;

/**
 * Flavors and images are global, operator-defined rows that tenants see when public or shared with them. Reads that
 * take `viewer` (a tenant id) see only what that tenant may use; null is the operators' view of everything.
 */
export abstract class CatalogRepository<T extends CatalogItem & ObjectLiteral, N = NewCatalogItem<T>, P extends CatalogPatch = CatalogPatch> {
  protected constructor(
    protected readonly ds: DataSource,
    private readonly entity: EntityTarget<T>,
    private readonly vmColumn: 'flavor_id' | 'image_id',
    private readonly owned = false,
  ) {}

  async insert(tx: EntityManager, item: N): Promise<T> {
    const inserted = await tx
      .createQueryBuilder()
      .insert()
      .into(this.entity)
      .values({ visibility: 'public', tenantIds: [], status: 'active', ...item } as never)
      .returning('*')
      .execute();
    return tx.create(this.entity, inserted.generatedMaps[0] as T);
  }

  /** Whatever its status (deleted rows stay for the VMs that name them); null also when `viewer` may not see it. */
  find(id: string, viewer: string | null = null, q: EntityManager = this.ds.manager): Promise<T | null> {
    return this.seen(q.createQueryBuilder(this.entity, 'x').where('x.id = :id', { id }), viewer).getOne();
  }

  /**
   * Share-locks the row for the rest of `tx`: a delete or deprecation waits until the VM that uses it is recorded
   * (and then counts it), so no live VM ever names a deleted item.
   */
  holdForUse(tx: EntityManager, id: string): Promise<T | null> {
    return tx.createQueryBuilder(this.entity, 'x').where('x.id = :id', { id }).setLock('pessimistic_read').getOne();
  }

  findForUpdate(tx: EntityManager, id: string): Promise<T | null> {
    return tx.createQueryBuilder(this.entity, 'x').where('x.id = :id', { id }).setLock('pessimistic_write').getOne();
  }

  list(page: PageRequest, filter: ListFilter, viewer: string | null): Promise<Page<T>> {
    const qb = this.seen(this.ds.manager.createQueryBuilder(this.entity, 'x'), viewer);
    return pageBy(filterBy(qb, 'x', filter, { hidden: ['deleted'] }), 'x', page);
  }

  async update(tx: EntityManager, id: string, patch: P): Promise<void> {
    await tx.update(this.entity, { id }, { ...patch, updatedAt: () => 'now()' } as never);
  }

  /** The live (not deleted) VMs of any tenant that were made from this item. */
  async usage(q: EntityManager, id: string): Promise<CatalogUsage> {
    const row = await one<{ count: number; vmIds: string[] | null }>(
      q,
      `SELECT count(*)::int AS count, (array_agg(id::text ORDER BY created_at DESC, id DESC))[1:10] AS "vmIds"
       FROM vms WHERE ${this.vmColumn} = $1 AND status <> 'deleted'`,
      [id],
    );
    return { count: row?.count ?? 0, vmIds: row?.vmIds ?? [] };
  }

  private seen(qb: SelectQueryBuilder<T>, viewer: string | null): SelectQueryBuilder<T> {
    return viewer === null ? qb : qb.andWhere(this.owned ? VISIBLE_OWNED : VISIBLE, { viewer });
  }
}
