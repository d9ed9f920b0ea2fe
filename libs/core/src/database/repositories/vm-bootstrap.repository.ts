import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { VmBootstrapEntity } from '../entities/vm-bootstrap.entity.js';

export interface VmBootstrapShown {
  hostname: string;
  keypairIds: string[];
}

/** What VMs' config drives are built from; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class VmBootstrapRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, row: VmBootstrapEntity): Promise<void> {
    await tx.insert(VmBootstrapEntity, row);
  }

  find(tenantId: string, vmId: string, q: EntityManager = this.ds.manager): Promise<VmBootstrapEntity | null> {
    return q.findOne(VmBootstrapEntity, { where: { tenantId, vmId } });
  }
}
