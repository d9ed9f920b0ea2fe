import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, VmNicRepository, VmRepository, type VmNicPlug } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { isXapiError } from '@xenplane/xapi-driver';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ConfigDriveService } from './config-drive.service.js';
import { NicOperationHandler, ipKey, requiresStop, type VmOnPool } from './nic-operation.handler.js';
import type { VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

/**
 * vm.add-nic: the VIF (found again by its MAC if an earlier attempt made it) in a slot xapi offers, its address where
 * the guest reads it, hot-plugged into a running VM where xapi allows, and the config drive rebuilt with it.
 */
@Injectable()
@HandlesJobs(JobName.VmAddNic)
export class AddNicHandler extends NicOperationHandler {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    nics: VmNicRepository,
    drives: ConfigDriveService,
    lifecycle: ResourceLifecycle,
    @InjectDataSource() private readonly ds: DataSource,
  ) {
    super(vms, outcome, nics, drives, lifecycle);
  }

  async run(ctx: VmContext): Promise<void> {
    let nic = await this.nic(ctx);
    if (!nic) throw new SagaError('internal', `NIC ${this.nicId(ctx)} is gone`);
    if (!nic.networkXapiUuid) throw new SagaError('network_unavailable', `network ${nic.networkId} has no XAPI network`);
    const on = await this.vmOnPool(ctx);
    if (!on) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    let vif = await this.vifOf(on, nic.mac);
    if (!vif) {
      nic = await this.freeSlot(ctx, on, nic);
      const networkUuid = nic.networkXapiUuid!;
      await on.pool.ensureVif(on.ref, { device: nic.device, networkUuid, mac: nic.mac, mtu: 1500 }).catch((err: unknown) => {
        if (!isXapiError(err, 'UUID_INVALID')) throw err;
        throw new SagaError('network_unavailable', `network ${nic!.networkId} is gone from the pool (XAPI network ${networkUuid})`);
      });
      vif = (await this.vifOf(on, nic.mac))!;
    }
    await on.pool.setXenstoreKey(on.ref, ipKey(vif.device), `${nic.ip}/${nic.prefix}`);
    if (on.running && !vif.attached) {
      // xapi's own verdict (xapi_vif_helpers.ml): an HVM guest without PV drivers cannot take a VIF live.
      if (!vif.allowedOperations.includes('plug')) {
        await this.removeVif(on, vif);
        throw requiresStop('add');
      }
      await on.pool.plugVif(vif.ref);
    }
    await this.refreshDrive(ctx, on);
  }

  /** Keeps the NIC's device if xapi offers it (VM.get_allowed_VIF_devices), else moves it to the lowest slot offered. */
  private async freeSlot(ctx: VmContext, on: VmOnPool, nic: VmNicPlug): Promise<VmNicPlug> {
    const allowed = (await on.pool.allowedVifDevices(on.ref)).map(Number).sort((a, b) => a - b);
    if (allowed.includes(nic.device)) return nic;
    for (const device of allowed) {
      if (await this.nics.moveDevice(this.ds.manager, ctx.resource.tenantId, nic.id, device)) return { ...nic, device };
    }
    throw new SagaError('nic_limit_reached', 'the VM has no free VIF slot on the pool');
  }

  override async succeed(ctx: VmContext): Promise<void> {
    const { tenantId } = ctx.resource;
    const nicId = this.nicId(ctx);
    await this.outcome.succeeded(ctx, { alongside: (tx) => this.nics.setStatus(tx, tenantId, nicId, 'attached') });
  }

  /** A failed add takes its VIF back off the VM and gives the address (and a public one's quota) back, with the operation's end. */
  override async fail(ctx: VmContext, failure: JobFailure): Promise<void> {
    const nic = await this.nic(ctx);
    // A compensation that fails throws: the job retries its failure, so no VIF is left behind.
    const on = nic ? await this.vmOnPool(ctx) : null;
    const vif = on && nic ? await this.vifOf(on, nic.mac) : undefined;
    if (on && vif) await this.removeVif(on, vif);
    await this.outcome.failed(ctx, failure, { alongside: async (tx) => void (await this.release(tx, ctx)) });
  }
}
