import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  HostRepository,
  ImageRepository,
  NoCapacityError,
  OperationRepository,
  PlacementService,
  VmRepository,
  type HostEntity,
  type ImageEntity,
  type OperationEntity,
  type VmEntity,
} from '@xenplane/core';
import { isXapiError, pickHostByFreeMemory, type HostCapacity, type XapiPool } from '@xenplane/xapi-driver';
import { SagaError } from '../pipeline/job-failure.js';

const MiB = 1024 * 1024;

/** What VM.start_on answers when the host cannot take the VM now (xapi's assert_can_boot_here): choose again. */
export const HOST_REFUSALS = ['HOST_DISABLED', 'HOST_NOT_LIVE', 'HOST_NOT_ENOUGH_FREE_MEMORY'] as const;

/**
 * The worker's half of placement: the host a VM starts on. The API's claim (vms.placed_host_id) is kept when its row
 * (as the pool's events keep it) shows that host enabled, live and with room, with no read of the pool's hosts; a
 * start the pool then refuses (HOST_REFUSALS) asks again with `fresh`, and so does a claim the row does not back:
 * XAPI's hosts are read, the scheduler chooses again on the VM's pool under the server group's lock, and the new claim
 * and decision are recorded before the start, so a retry keeps them.
 */
@Injectable()
export class VmHostChooser {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly placement: PlacementService,
    private readonly hosts: HostRepository,
    private readonly images: ImageRepository,
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
  ) {}

  /**
   * Starts the VM on the host chosen (`chosen`, when the caller chose ahead); one the pool refuses it (HOST_REFUSALS)
   * is chosen again from XAPI's view, once. Answers the host it started on; null when it was running already (where,
   * only XAPI can say: an earlier attempt may have started it elsewhere).
   */
  async start(
    xapi: XapiPool,
    vm: VmEntity,
    operation: OperationEntity,
    vmRef: string,
    opts: { image?: ImageEntity | null; chosen?: HostCapacity } = {},
  ): Promise<HostCapacity | null> {
    const host = opts.chosen ?? (await this.choose(xapi, vm, operation, opts));
    try {
      return (await xapi.startVm(vmRef, host.ref)) ? host : null;
    } catch (e) {
      // a host gone from the pool (its cached ref no longer valid) is chosen again too
      const gone = isXapiError(e, 'HANDLE_INVALID') && e.params.includes(host.ref);
      if (!gone && !isXapiError(e, ...HOST_REFUSALS)) throw e;
      xapi.refs.forget(`host:${host.uuid}`);
      const again = await this.choose(xapi, vm, operation, { ...opts, fresh: true });
      return (await xapi.startVm(vmRef, again.ref)) ? again : null;
    }
  }

  async choose(
    xapi: XapiPool,
    vm: VmEntity,
    operation: OperationEntity,
    opts: { fresh?: boolean; image?: ImageEntity | null } = {},
  ): Promise<HostCapacity> {
    const need = vm.memoryMiB * MiB;
    const fits = (h: HostCapacity | null | undefined): boolean => !!h && h.enabled && h.live && h.memoryFree >= need;
    const claimed = vm.placedHostId ? await this.hosts.find(vm.placedHostId) : null;
    const usable = claimed && claimed.maintenance === 'none' ? claimed : null;
    // a host the failure detector has seen not live (or declared dead) is not trusted on its row's older word
    const healthy = usable && usable.enabled && usable.live && !usable.notLiveSince && !usable.failedAt;
    if (healthy && !opts.fresh && usable.memoryFreeBytes >= need) {
      return { ...hostOfRow(usable), ref: await xapi.hostRef(usable.xapiUuid) };
    }
    const observed = await xapi.listHosts();
    const kept = usable ? observed.find((h) => h.uuid === usable.xapiUuid) : undefined;
    if (kept && fits(kept)) return kept;
    const image = opts.image !== undefined ? opts.image : await this.images.find(vm.imageId);
    const stale = observed.filter((h) => !fits(h));
    const hostIds = await this.hosts.idsByXapiUuid(stale.map((h) => ({ poolId: vm.poolId, xapiUuid: h.uuid })));
    const placed = await this.ds
      .transaction(async (tx) => {
        const p = await this.placement.place(tx, {
          tenantId: vm.tenantId,
          vcpus: vm.vcpus,
          memoryMiB: vm.memoryMiB,
          diskGiB: vm.diskGiB,
          template: image?.template ?? '',
          serverGroupId: vm.serverGroupId,
          poolId: vm.poolId,
          vmId: vm.id,
          // What XAPI shows unable to take it now, whatever the last sync said.
          excludeHostIds: [...hostIds.values()],
          stage: 'worker',
        });
        await this.vms.update(tx, vm.tenantId, vm.id, { placedHostId: p.hostId });
        await this.operations.recordPlacement(tx, vm.tenantId, operation.id, p.decision);
        return p;
      })
      .catch((err: unknown) => {
        if (err instanceof NoCapacityError) throw new SagaError('no_capacity', err.message);
        throw err;
      });
    const chosen = placed.hostId ? await this.hosts.find(placed.hostId) : null;
    const host = chosen ? observed.find((h) => h.uuid === chosen.xapiUuid) : pickHostByFreeMemory(observed, need);
    if (!host || !fits(host)) throw new SagaError('no_capacity', `no host of the pool has ${vm.memoryMiB} MiB free`);
    return host;
  }
}

function hostOfRow(h: HostEntity): Omit<HostCapacity, 'ref'> {
  return {
    uuid: h.xapiUuid,
    name: h.name,
    address: h.address,
    enabled: h.enabled,
    live: h.live,
    memoryTotal: h.memoryTotalBytes,
    memoryFree: h.memoryFreeBytes,
    cpuCount: h.cpuCount,
    otherConfig: {},
  };
}
