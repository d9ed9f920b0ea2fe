import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { VmBootstrapEntity } from '../entities/vm-bootstrap.entity.js';
import { rows } from '../sql.js';

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

  /** What the API shows of the given VMs' bootstrap (never the user-data): host name and keypair ids. */
  async shownForVms(vms: { tenantId: string; id: string }[], q: EntityManager = this.ds.manager): Promise<Map<string, VmBootstrapShown>> {
    if (!vms.length) return new Map();
    const found = await rows<VmBootstrapShown & { vmId: string }>(
      q,
      `SELECT b.vm_id AS "vmId", b.hostname, b.keypair_ids AS "keypairIds"
       FROM vm_bootstrap b JOIN unnest($1::uuid[], $2::uuid[]) AS v(tenant_id, id) ON b.tenant_id = v.tenant_id AND b.vm_id = v.id`,
      [vms.map((v) => v.tenantId), vms.map((v) => v.id)],
    );
    return new Map(found.map(({ vmId, ...shown }) => [vmId, shown]));
  }
}
