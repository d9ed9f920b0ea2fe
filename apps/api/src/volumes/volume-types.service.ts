import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  DomainError,
  NameTakenError,
  PoolRepository,
  VolumeTypeRepository,
  type ListFilter,
  type Page,
  type PageRequest,
  type VolumeTypeEntity,
} from '@xenplane/core';

/** Volume types: names operators give to SRs of the default pool. */
@Injectable()
export class VolumeTypesService {
  constructor(
    private readonly types: VolumeTypeRepository,
    private readonly pools: PoolRepository,
  ) {}

  async create(name: string, srUuid: string): Promise<VolumeTypeEntity> {
    const pool = await this.pools.findDefault();
    if (!pool) throw new DomainError('unavailable', 'no XAPI pool is registered');
    const made = await this.types.insert({ id: randomUUID(), poolId: pool.id, name, srUuid });
    if (!made) throw new NameTakenError('volume type', name);
    return made;
  }

  list(page: PageRequest, filter: ListFilter): Promise<Page<VolumeTypeEntity>> {
    return this.types.list(page, filter);
  }
}
