import { XapiError, XapiTransportError, isXapiError } from '../errors/xapi-error.js';
import type { XapiClient } from '../client/xapi-client.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { VOLUME_VDI_KEY } from './vdi-ops.js';
import { isNullRef } from './xapi-refs.js';

/** True for VM_BAD_POWER_STATE whose actual state (3rd param, lowercase) is `state`. */
export function isBadPowerState(e: unknown, state: string): boolean {
  return isXapiError(e, 'VM_BAD_POWER_STATE') && e.params[2]?.toLowerCase() === state;
}

/** Retries `fn` while it fails with OTHER_OPERATION_IN_PROGRESS (an operation still finishing on the object). */
export async function retryBusy<T>(fn: () => Promise<T>, attempts = 10, delayMs = 500): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isXapiError(e, 'OTHER_OPERATION_IN_PROGRESS') || i >= attempts) throw e;
      await abortableSleep(Math.min(delayMs * i, 5_000));
    }
  }
}

/** Starts a VM (anywhere, or on `hostRef`); an already running VM counts as started (false: it was, wherever it runs). */
export async function startVm(client: XapiClient, ref: string, hostRef?: string): Promise<boolean> {
  try {
    // synchronous: xapi's own task, destroyed by xapi, instead of Async + task.destroy
    if (hostRef) await client.callLong('VM.start_on', ref, hostRef, false, false);
    else await client.callLong('VM.start', ref, false, false);
    return true;
  } catch (e) {
    if (!isBadPowerState(e, 'running')) throw e;
    return false;
  }
}

/** Hard shutdown; an already halted VM counts as done. */
export async function hardShutdown(client: XapiClient, ref: string): Promise<void> {
  await retryBusy(() => client.callAsync('VM.hard_shutdown', ref)).catch((e: unknown) => {
    if (!isBadPowerState(e, 'halted')) throw e;
  });
}

/** Clean shutdown within `cleanTimeoutMs`, falling back to hard shutdown; halted already = done. */
export async function shutdownVm(client: XapiClient, ref: string, cleanTimeoutMs = 60_000): Promise<void> {
  const state = await client.call<string>('VM.get_power_state', ref);
  if (state === 'Halted') return;
  if (state === 'Running') {
    try {
      await client.callAsyncWith('VM.clean_shutdown', [ref], { taskTimeoutMs: cleanTimeoutMs });
      return;
    } catch (e) {
      if (isBadPowerState(e, 'halted')) return;
      // no PV tools, guest ignored the request, or it took too long: force it
      if (!(e instanceof XapiError) && !(e instanceof XapiTransportError)) throw e;
    }
  }
  await hardShutdown(client, ref);
}

/** Clean reboot, falling back to hard reboot when the guest cannot cooperate. */
export async function rebootVm(client: XapiClient, ref: string, cleanTimeoutMs = 60_000): Promise<void> {
  try {
    await client.callAsyncWith('VM.clean_reboot', [ref], { taskTimeoutMs: cleanTimeoutMs });
  } catch (e) {
    if (isXapiError(e, 'VM_BAD_POWER_STATE', 'HANDLE_INVALID')) throw e;
    if (!(e instanceof XapiError) && !(e instanceof XapiTransportError)) throw e;
    await retryBusy(() => client.callAsync('VM.hard_reboot', ref));
  }
}

/**
 * Destroys a VM and the disks only it used: hard shutdown unless halted, collect disk VDIs (VM.destroy keeps
 * them), destroy snapshots, the VM, then each VDI no other VM uses. A VM or VDI already gone counts as done.
 */
export async function destroyVm(client: XapiClient, ref: string): Promise<void> {
  let vm: { power_state: string; VBDs: string[]; snapshots: string[]; is_control_domain: boolean };
  try {
    vm = await client.call('VM.get_record', ref);
  } catch (e) {
    if (isXapiError(e, 'HANDLE_INVALID')) return;
    throw e;
  }
  if (vm.is_control_domain) throw new XapiError('OPERATION_NOT_ALLOWED', ['refusing to destroy a control domain'], 'VM.destroy');
  if (vm.power_state !== 'Halted') await hardShutdown(client, ref);
  const vdis: string[] = [];
  for (const vbd of vm.VBDs ?? []) {
    const rec = await client.call<{ type: string; VDI: string }>('VBD.get_record', vbd).catch(ignoreGone);
    if (rec && rec.type === 'Disk' && !isNullRef(rec.VDI)) vdis.push(rec.VDI);
  }
  for (const snap of vm.snapshots ?? []) await destroySnapshotVm(client, snap);
  await retryBusy(() => client.callAsync('VM.destroy', ref)).catch(ignoreGone);
  for (const vdi of vdis) {
    const users = await client.call<string[]>('VDI.get_VBDs', vdi).catch(ignoreGone);
    // gone already, or still plugged into another VM: not ours to delete
    if (!users || users.length > 0) continue;
    // A block volume outlives its VM: the VM's destroy took its VBD, the VDI stays.
    const other = await client.call<Record<string, string>>('VDI.get_other_config', vdi).catch(ignoreGone);
    if (!other || other[VOLUME_VDI_KEY]) continue;
    await retryBusy(() => client.callAsync('VDI.destroy', vdi)).catch(ignoreGone);
  }
}

/**
 * Destroys a snapshot VM and its disks, the disks first: VM.destroy keeps a snapshot's VDIs (xapi_vm.ml destroy), so a
 * crash after it would leave them named by nothing; this way a retry still finds the record. Only ever a snapshot.
 */
export async function destroySnapshotVm(client: XapiClient, ref: string): Promise<boolean> {
  let vm: { is_a_snapshot: boolean; VBDs: string[]; suspend_VDI: string };
  try {
    vm = await client.call('VM.get_record', ref);
  } catch (e) {
    if (isXapiError(e, 'HANDLE_INVALID')) return false;
    throw e;
  }
  if (!vm.is_a_snapshot) throw new Error(`refusing to destroy VM ${ref}: it is not a snapshot`);
  const disks = isNullRef(vm.suspend_VDI ?? 'OpaqueRef:NULL') ? [] : [vm.suspend_VDI];
  for (const vbd of vm.VBDs ?? []) {
    const r = await client.call<{ type: string; VDI: string }>('VBD.get_record', vbd).catch(() => null);
    const vdi = r?.type === 'Disk' && !isNullRef(r.VDI) ? r.VDI : null;
    if (vdi && (await client.call<boolean>('VDI.get_is_a_snapshot', vdi).catch(() => false))) disks.push(vdi);
  }
  for (const vdi of disks) await retryBusy(() => client.callAsync('VDI.destroy', vdi)).catch(ignoreGone);
  return retryBusy(() => client.callAsync('VM.destroy', ref)).then(
    () => true,
    (e: unknown) => ignoreGone(e) ?? false,
  );
}

function ignoreGone(e: unknown): undefined {
  if (isXapiError(e, 'HANDLE_INVALID')) return undefined;
  throw e;
}
