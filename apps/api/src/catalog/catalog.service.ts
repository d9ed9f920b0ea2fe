import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  DomainError,
  fieldError,
  InUseError,
  NameTakenError,
  isUniqueViolation,
  FlavorRepository,
  ImageRepository,
  NotFoundError,
  PoolRepository,
  PoolTemplateRepository,
  type CatalogItem,
  type FlavorPatch,
  type FlavorEntity,
  type ImageEntity,
  type ListFilter,
  type Page,
  type PageRequest,
} from '@xenplane/core';
import { TenantRepository } from '@xenplane/tenancy';
import type { CreateFlavorDto, CreateImageDto, UpdateCatalogItemDto, UpdateFlavorDto, VisibilityDto } from './catalog.dto.js';

export type CatalogKind = 'flavor' | 'image';
type Item<K extends CatalogKind> = K extends 'flavor' ? FlavorEntity : ImageEntity;

async function uniquely<T>(kind: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new NameTakenError(kind, name);
    throw err;
  }
}

/**
 * Operator-defined flavors and images that tenants build VMs from: who may see them, deprecation, and deletion
 * (refused while live VMs use them; the row stays for the VMs that name it). `viewer`: the tenant looking, or null
 * for an operator (who sees everything).
 */
@Injectable()
export class CatalogService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly flavors: FlavorRepository,
    private readonly images: ImageRepository,
    private readonly tenants: TenantRepository,
    private readonly pools: PoolRepository,
    private readonly templates: PoolTemplateRepository,
  ) {}

  async createFlavor(dto: CreateFlavorDto): Promise<FlavorEntity> {
    const shared = await this.visibility(dto, { visibility: 'public', tenantIds: [] });
    const row = { id: randomUUID(), name: dto.name, vcpus: dto.vcpus, memoryMiB: dto.memoryMiB, diskGiB: dto.diskGiB, ...shared };
    if (dto.restartOnHostFailure != null) Object.assign(row, { restartOnHostFailure: dto.restartOnHostFailure });
    return uniquely('flavor', dto.name, () => this.flavors.insert(this.ds.manager, row));
  }

  async createImage(dto: CreateImageDto): Promise<ImageEntity> {
    if (!dto.template) throw fieldError('template', 'an operator image names the XAPI template VMs are cloned from');
    const shared = await this.visibility(dto, { visibility: 'public', tenantIds: [] });
    await this.assertTemplateOnPool(dto.template);
    const row = { id: randomUUID(), name: dto.name, template: dto.template, configDrive: dto.configDrive ?? 'nocloud', ...shared };
    return uniquely('image', dto.name, () => this.images.insert(this.ds.manager, row));
  }

  list<K extends CatalogKind>(kind: K, viewer: string | null, page: PageRequest, filter: ListFilter): Promise<Page<Item<K>>> {
    return this.repo(kind).list(page, filter, viewer) as Promise<Page<Item<K>>>;
  }

  async get<K extends CatalogKind>(kind: K, viewer: string | null, id: string): Promise<Item<K>> {
    const item = (await this.repo(kind).find(id, viewer)) as Item<K> | null;
    if (!item) throw new NotFoundError(kind, id);
    return item;
  }

  /** Renames, deprecates (or undeprecates) and re-shares; a deleted one is history and changes no more. */
  async update<K extends CatalogKind>(kind: K, id: string, dto: K extends 'flavor' ? UpdateFlavorDto : UpdateCatalogItemDto): Promise<Item<K>> {
    const repo = this.repo(kind);
    return this.ds.transaction(async (tx) => {
      const item = await repo.findForUpdate(tx, id);
      if (!item) throw new NotFoundError(kind, id);
      if (item.status === 'deleted') throw new DomainError('invalid_state', `${kind} ${id} is deleted`, { currentStatus: item.status });
      // A tenant's own image stays its own: only its owner's tenant sees it.
      const owner = 'source' in item ? item.tenantId : null;
      if (owner && (dto.visibility !== undefined || dto.tenantIds !== undefined)) {
        throw fieldError('visibility', "a tenant's own image stays private");
      }
      if (owner && dto.deprecated != null && !['active', 'deprecated'].includes(item.status)) {
        throw new DomainError('invalid_state', `image ${id} is ${item.status}`, { currentStatus: item.status });
      }
      const patch: FlavorPatch = { ...(await this.visibility(dto, item)) };
      // null, as @IsOptional takes it, is left out like a missing field.
      if (dto.name != null) patch.name = dto.name;
      if (dto.deprecated != null) patch.status = dto.deprecated ? 'deprecated' : 'active';
      if (kind === 'flavor' && 'restartOnHostFailure' in dto && dto.restartOnHostFailure != null)
        patch.restartOnHostFailure = dto.restartOnHostFailure;
      await uniquely(kind, dto.name ?? item.name, () => repo.update(tx, id, patch));
      return (await repo.find(id, null, tx)) as Item<K>;
    });
  }

  /** Refused (409 in_use: usedBy.vms, and count and vmIds as before) while a live VM uses it; deleting a deleted one changes nothing. */
  async remove(kind: CatalogKind, id: string): Promise<void> {
    const repo = this.repo(kind);
    await this.ds.transaction(async (tx) => {
      const item = await repo.findForUpdate(tx, id);
      if (!item) throw new NotFoundError(kind, id);
      if (item.status === 'deleted') return;
      const usage = await repo.usage(tx, id);
      if (usage.count > 0) {
        const some = usage.vmIds.join(', ');
        const message = `${kind} ${id} is used by ${usage.count} VM(s) (${some}${usage.count > usage.vmIds.length ? ', ...' : ''})`;
        throw new InUseError(message, { vms: usage.vmIds }, { count: usage.count, vmIds: usage.vmIds });
      }
      await repo.update(tx, id, { status: 'deleted' });
    });
  }

  /** The tenant owning a private image, or null for an operator's (404 when there is none). */
  async ownerOf(id: string): Promise<string | null> {
    const image = await this.images.find(id);
    if (!image) throw new NotFoundError('image', id);
    return image.tenantId;
  }

  private repo(kind: CatalogKind): FlavorRepository | ImageRepository {
    return kind === 'flavor' ? this.flavors : this.images;
  }

  /** The visibility a create or patch leaves: what it says over `current`; every named tenant must exist. */
  private async visibility(
    dto: VisibilityDto,
    current: Pick<CatalogItem, 'visibility' | 'tenantIds'>,
  ): Promise<Pick<CatalogItem, 'visibility' | 'tenantIds'>> {
    const tenantIds = dto.tenantIds ?? current.tenantIds;
    const missing: string[] = [];
    for (const t of dto.tenantIds ?? []) if (!(await this.tenants.find(t))) missing.push(t);
    if (missing.length) throw fieldError('tenantIds', `no such tenant: ${missing.join(', ')}`);
    return { visibility: dto.visibility ?? current.visibility, tenantIds };
  }

  /** A tenant's own image is checked against the pool like an operator's template. */
  assertTemplate(template: string): Promise<void> {
    return this.assertTemplateOnPool(template);
  }

  /**
   * The template must be one the pool showed at its last sync (by uuid or name_label). Before a pool's first sync
   * nothing is known, so it is accepted and the worker's clone answers template_missing if need be.
   */
  private async assertTemplateOnPool(template: string): Promise<void> {
    const pool = await this.pools.findDefault();
    if (!pool?.lastSeenAt || (await this.templates.has(pool.id, template))) return;
    const message = `the pool "${pool.name}" has no template "${template}" (see GET /v1/pools/${pool.id}/templates)`;
    throw new DomainError('template_not_found', message, { template, poolId: pool.id, errors: [{ path: 'template', message }] });
  }
}
