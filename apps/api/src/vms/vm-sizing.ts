import { DomainError, type FlavorEntity, type VmEntity } from '@xenplane/core';

export interface LiveMax {
  vcpus: number;
  memoryMiB: number;
}

/** What a VM of this size may grow to while running: its size times the operator's headroom (LIVE_RESIZE_HEADROOM). */
export function liveMaxFor(size: { vcpus: number; memoryMiB: number }, headroom: number): LiveMax {
  return { vcpus: Math.ceil(size.vcpus * headroom), memoryMiB: Math.ceil(size.memoryMiB * headroom) };
}

/** The maximums XAPI holds for the VM now (a VM made before live maximums has none above its size). */
export function liveMaxOf(vm: Pick<VmEntity, 'vcpus' | 'memoryMiB' | 'liveMaxVcpus' | 'liveMaxMemoryMiB'>): LiveMax {
  return { vcpus: vm.liveMaxVcpus ?? vm.vcpus, memoryMiB: vm.liveMaxMemoryMiB ?? vm.memoryMiB };
}

/**
 * Refuses at once what the worker could not apply: a smaller disk (disks never shrink), and on a running VM more than
 * its live maximums or any disk growth (xapi's VDI.resize answers VDI_IN_USE on an attached disk).
 */
export function assertResizable(vm: VmEntity, flavor: Pick<FlavorEntity, 'vcpus' | 'memoryMiB' | 'diskGiB'>): void {
  if (flavor.diskGiB < vm.diskGiB) {
    const message = `the VM's disk is ${vm.diskGiB} GiB and disks never shrink; the flavor's diskGiB (${flavor.diskGiB}) is smaller`;
    throw new DomainError('disk_cannot_shrink', message, { diskGiB: vm.diskGiB, errors: [{ path: 'flavorId', message }] });
  }
  if (vm.status !== 'running') return;
  const liveMax = liveMaxOf(vm);
  const beyond = [
    flavor.vcpus > liveMax.vcpus ? `${flavor.vcpus} vCPUs (live maximum ${liveMax.vcpus})` : null,
    flavor.memoryMiB > liveMax.memoryMiB ? `${flavor.memoryMiB} MiB (live maximum ${liveMax.memoryMiB})` : null,
    flavor.diskGiB > vm.diskGiB ? `a ${flavor.diskGiB} GiB disk (disks grow only while stopped)` : null,
  ].filter((b): b is string => b !== null);
  if (beyond.length) {
    throw new DomainError('requires_stop', `a running VM cannot take ${beyond.join(', ')}: stop it, resize, start it`, { liveMax });
  }
}
