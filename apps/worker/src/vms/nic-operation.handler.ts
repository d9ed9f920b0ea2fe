import { VmNicRepository, VmRepository, type VmNicPlug } from '@xenplane/core';
import type { ResourceLifecycle } from '@xenplane/tenancy';
import type { VifOfVm, XapiPool } from '@xenplane/xapi-driver';
import type { EntityManager } from 'typeorm';
import { SagaError } from '../pipeline/job-failure.js';
import { ConfigDriveService } from './config-drive.service.js';
import { locateVm } from './vm-locator.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

/** The VM on the pool as a NIC job sees it. */
export interface VmOnPool {
  pool: XapiPool;
  ref: string;
  running: boolean;
}

/** xenstore key the simulated guest (and the data plane's tests) read a NIC's address from, as vm.create writes it. */
export const ipKey = (device: number) => `vm-data/ip${device}`;

/** What vm.add-nic and vm.remove-nic share: the NIC the API named (in the operation's checkpoint), its VIF found by MAC, the drive. */
export abstract class NicOperationHandler extends VmOperationHandler {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    protected readonly nics: VmNicRepository,
    protected readonly drives: ConfigDriveService,
    private readonly lifecycle: ResourceLifecycle,
  ) {
    super(vms, outcome);
  }

  /** The NIC's address (and a public one's publicIps quota) given back, in the outcome's transaction, at most once. */
  protected release(tx: EntityManager, ctx: VmContext): Promise<boolean> {
    return this.lifecycle.releaseNic(tx, { tenantId: ctx.resource.tenantId, nicId: this.nicId(ctx) }, ctx.operation.id);
  }

  protected nicId(ctx: VmContext): string {
    const id = ctx.operation.checkpoint.nicId;
    if (typeof id !== 'string') throw new SagaError('internal', 'the operation names no NIC');
    return id;
  }

  /** The NIC row, or null once it is gone (released by an earlier attempt, or with the VM). */
  protected nic(ctx: VmContext): Promise<VmNicPlug | null> {
    return this.nics.findOfVm(ctx.resource.tenantId, ctx.resource.id, this.nicId(ctx));
  }

  /** The VM on the pool, or null when it is gone from it. */
  protected async vmOnPool(ctx: VmContext): Promise<VmOnPool | null> {
    const pool = await ctx.xapi();
    const found = await locateVm(pool, ctx.resource);
    if (!found) return null;
    return { pool, ref: found.ref, running: (await pool.getVm(found.ref)).power_state === 'Running' };
  }

  /** The NIC's VIF: the one with its MAC (MACs are ours and unique per network, the device may have moved). */
  protected async vifOf(on: VmOnPool, mac: string): Promise<VifOfVm | undefined> {
    return (await on.pool.vifsOf(on.ref)).find((v) => v.mac === mac.toLowerCase());
  }

  /** Takes the VIF off the VM: unplugged where xapi allows it on a running guest (else requires_stop), then destroyed. */
  protected async removeVif(on: VmOnPool, vif: VifOfVm): Promise<void> {
    if (vif.attached && on.running) {
      if (!vif.allowedOperations.includes('unplug')) throw requiresStop('remove');
      await on.pool.unplugVif(vif.ref);
    }
    await on.pool.destroyVif(vif.ref);
    await on.pool.removeXenstoreKey(on.ref, ipKey(vif.device));
  }

  /** The drive with the NICs the VM now has (same instance-id); a running guest reads it at its next boot. */
  protected async refreshDrive(ctx: VmContext, on: VmOnPool): Promise<void> {
    await this.drives.ensure(on.pool, ctx.resource, on.ref);
  }
}

export function requiresStop(what: 'add' | 'remove'): SagaError {
  return new SagaError('requires_stop', `the guest cannot hot-plug NICs (no PV drivers): stop the VM to ${what} this NIC`);
}
