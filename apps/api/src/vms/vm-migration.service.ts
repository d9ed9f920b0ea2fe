import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  HostRepository,
  InvalidStateError,
  JobName,
  NotFoundError,
  OperationLauncher,
  OperationRepository,
  VmRepository,
  fieldError,
  isActionAllowed,
  type OperationEntity,
  type RequestMeta,
} from '@xenplane/core';
import { VmDetails, type VmWithNics } from './vm-details.service.js';

/** An operator's live move of one VM: to the host named, or (none named) to one the scheduler picks when the job runs. */
@Injectable()
export class VmMigrationService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly hosts: HostRepository,
    private readonly launcher: OperationLauncher,
    private readonly operations: OperationRepository,
    private readonly details: VmDetails,
  ) {}

  async migrate(
    tenantId: string,
    id: string,
    hostId: string | undefined,
    meta: RequestMeta,
  ): Promise<{ vm: VmWithNics; operation: OperationEntity }> {
    return this.ds.transaction(async (tx) => {
      const vm = await this.vms.findForUpdate(tx, tenantId, id);
      if (!vm) throw new NotFoundError('vm', id);
      if (!isActionAllowed(vm.status, 'migrate')) {
        throw new InvalidStateError(`cannot migrate a VM that is ${vm.status}: only a running VM moves live`, {
          currentStatus: vm.status,
          action: 'migrate',
        });
      }
      const target = hostId ? await this.hosts.find(hostId, tx) : null;
      if (hostId && (!target || target.poolId !== vm.poolId)) throw fieldError('hostId', "no such host in the VM's pool");
      if (target && target.xapiUuid === vm.hostUuid) throw new InvalidStateError('the VM already runs on that host', { hostId });
      if (target && (target.maintenance !== 'none' || !target.enabled || !target.live)) {
        throw new InvalidStateError(`host ${target.name} takes no VMs now`, {
          hostId,
          maintenance: target.maintenance,
          enabled: target.enabled,
          live: target.live,
        });
      }
      const operation = await this.launcher.launch(tx, tenantId, JobName.VmMigrate, { type: 'vm', id }, meta);
      if (target) {
        await this.operations.checkpoint(tx, tenantId, operation.id, 'target', { fromHostId: null, toHostId: target.id });
        await this.vms.update(tx, tenantId, id, { placedHostId: target.id });
      }
      return { vm: await this.details.one(vm, tx), operation };
    });
  }
}
