import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InvalidStateError, NotFoundError, ValidationFailedError, VmRepository, type OperationEntity, type RequestMeta } from '@xenplane/core';
import { detailsOf } from '../common/details.dto.js';
import { VmDetails, type VmWithNics } from './vm-details.service.js';
import type { UpdateVmDto } from './vm.dto.js';
import { VmsService } from './vms.service.js';

/** PATCH /v1/vms/:id: a resize (an operation, through VmsService) and/or name, description, tags and restart (at once, no operation). */
@Injectable()
export class VmEditService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly details: VmDetails,
    private readonly resizes: VmsService,
  ) {}

  /** The resize first: if it is refused, nothing changed; the details then follow on the same VM. */
  async update(tenantId: string, id: string, dto: UpdateVmDto, meta: RequestMeta): Promise<{ vm: VmWithNics; operation?: OperationEntity }> {
    const change: Partial<Pick<VmWithNics, 'name' | 'description' | 'tags' | 'restart'>> = detailsOf(dto);
    if (dto.restart != null) change.restart = dto.restart;
    if (dto.flavorId == null && !Object.keys(change).length) {
      throw new ValidationFailedError([{ path: '', message: 'give at least one of flavorId, name, description, tags, restart' }]);
    }
    const resized = dto.flavorId == null ? undefined : await this.resizes.resize(tenantId, id, dto.flavorId, meta);
    if (!Object.keys(change).length) return resized!;
    const vm = await this.ds.transaction(async (tx) => {
      const found = await this.vms.findForUpdate(tx, tenantId, id);
      if (!found) throw new NotFoundError('vm', id);
      if (found.status === 'deleted')
        throw new InvalidStateError('cannot change a VM that is deleted', { currentStatus: found.status, action: 'update' });
      await this.vms.update(tx, tenantId, id, change);
      return this.details.one((await this.vms.find(tenantId, id, tx))!, tx);
    });
    return { vm, operation: resized?.operation };
  }
}
