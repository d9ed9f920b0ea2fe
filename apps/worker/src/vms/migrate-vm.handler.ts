import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HostRepository, JobName, OperationRepository, VmRepository, type OperationEntity, type VmEntity } from '@xenplane/core';
import { XapiError, type XapiPool } from '@xenplane/xapi-driver';
import { SagaError } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { locateVm } from './vm-locator.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';
import { MigrationTargets } from './migration-targets.service.js';

/**
 * vm.migrate: one live move (VM.pool_migrate) to the host in the operation's checkpoint, chosen once (at launch by
 * the evacuation or the operator, else here before the first move) so a retried or resumed job never picks another.
 * A VM already on its target is done; a failed move leaves it running where it was. Quota and presence are untouched.
 */
@Injectable()
@HandlesJobs(JobName.VmMigrate)
export class MigrateVmHandler extends VmOperationHandler {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly operations: OperationRepository,
    private readonly hosts: HostRepository,
    private readonly targets: MigrationTargets,
  ) {
    super(vms, outcome);
  }

  async run({ operation, resource: vm, xapi: connect }: VmContext): Promise<void> {
    const xapi = await connect();
    const found = await locateVm(xapi, vm);
    if (!found) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    const record = await xapi.getVm(found.ref);
    const toHostId = (operation.checkpoint.toHostId as string | undefined) ?? (await this.chooseOnce(xapi, vm, operation, record.resident_on));
    const target = await this.hosts.find(toHostId);
    if (!target) throw new SagaError('host_gone', `host ${toHostId} is no longer in the pool`);
    const hostRef = await xapi.client.call<string>('host.get_by_uuid', target.xapiUuid);
    if (record.resident_on === hostRef) return;
    if (record.power_state !== 'Running') throw new SagaError('invalid_state', `a ${record.power_state} VM does not move live`);
    await xapi.migrateVm(found.ref, hostRef).catch((err: unknown) => {
      // The pool refused the move (the VM stays running where it was): a code of its own, so a drain lists it; transient ones retry.
      if (err instanceof XapiError && !err.retryable) throw new SagaError('migration_failed', `${err.code} ${err.params.join(' ')}`.trim());
      throw err;
    });
    await this.operations.checkpoint(this.ds.manager, vm.tenantId, operation.id, 'migrated', {});
  }

  private async chooseOnce(xapi: XapiPool, vm: VmEntity, operation: OperationEntity, residentOn: string | null): Promise<string> {
    const sourceUuid = residentOn ? await xapi.client.call<string>('host.get_uuid', residentOn) : null;
    const source = sourceUuid ? (await this.hosts.idsByXapiUuid([{ poolId: vm.poolId, xapiUuid: sourceUuid }])).values().next().value : undefined;
    return this.ds.transaction((tx) => this.targets.claimForJob(tx, vm, operation.id, source ?? null));
  }
}
