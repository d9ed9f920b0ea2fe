// Which VDI operations xapi allows now (ocaml/xapi/xapi_vdi.ml check_operation_error), and SR provisioning traits.
import type { XRecord } from '../datamodel/defaults.js';
import { fail } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import { scalar } from '../datamodel/defaults.js';

// What the SR drivers the sim models offer (pre-Ely operations less blocked and force_unlock, as xapi lists them).
export const vdiOperations = ['clone', 'copy', 'resize', 'snapshot', 'destroy', 'forget', 'update', 'generate_config'];
const liveOps = new Set(['snapshot', 'clone', 'resize_online', 'blocked', 'mirror', 'enable_cbt', 'disable_cbt', 'data_destroy']);
const thinTypes = new Set(['nfs', 'ext', 'file', 'smb', 'cephfs', 'glusterfs', 'xfs', 'zfs']);

// File-based SRs allocate as data is written; LVM ones reserve the whole virtual size.
export function isThinSr(sr: XRecord): boolean {
  return thinTypes.has(scalar(sr.type));
}

// ocaml/xapi/sm_fs_ops.ml must_write_zeroes_into_new_vdi: legacy (non-VHD) LVM and thick arrays do not zero new disks.
export function mustWriteZeroes(sr: XRecord, vdi: XRecord): boolean {
  const type = scalar(sr.type).toLowerCase();
  const smc = sr.sm_config as Record<string, string>;
  const lvm = ['lvm', 'lvmoiscsi', 'lvmohba'].includes(type) && ((vdi.sm_config as Record<string, string>).type === 'raw' || smc.use_vhd !== 'true');
  return lvm || (type === 'equal' && String(smc.allocation).toLowerCase() === 'thick') || type === 'cslg';
}

function activeVbds(sim: SimState, vdi: XRecord): XRecord[] {
  return (vdi.VBDs as string[])
    .map((r) => sim.store.get('VBD', r))
    .filter((v): v is XRecord => v !== undefined && (v.currently_attached === true || v.reserved === true));
}

export function vdiOperationError(sim: SimState, vdiRef: string, vdi: XRecord, op: string): string[] | undefined {
  const busy = Object.entries(vdi.current_operations as Record<string, string>).find(([, o]) => o !== 'copy');
  if (busy) return ['OTHER_OPERATION_IN_PROGRESS', 'VDI', vdiRef, busy[1], busy[0]];
  const active = activeVbds(sim, vdi);
  const blocked = liveOps.has(op) ? false : op === 'copy' ? active.some((v) => v.mode === 'RW') : active.length > 0;
  if (blocked) return ['VDI_IN_USE', vdiRef, op];
  if (op === 'snapshot' && vdi.sharable === true) return ['VDI_IS_SHARABLE', vdiRef];
  if ((op === 'snapshot' || op === 'copy') && vdi.on_boot === 'reset') return ['VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION'];
  if (op === 'snapshot' && Object.values(vdi.current_operations as Record<string, string>).includes('copy'))
    return ['OPERATION_NOT_ALLOWED', 'Snapshot operation not allowed during copy.'];
  return undefined;
}

export function assertVdiOperation(sim: SimState, vdiRef: string, op: string): XRecord {
  const vdi = sim.store.mustGet('VDI', vdiRef);
  if (vdi.managed !== true) fail('VDI_NOT_MANAGED', vdiRef);
  const err = vdiOperationError(sim, vdiRef, vdi, op);
  if (err) fail(err[0], ...err.slice(1));
  return vdi;
}

export function refreshVdiAllowedOperations(sim: SimState, vdiRef: string): void {
  const vdi = sim.store.get('VDI', vdiRef);
  if (!vdi) return;
  const allowed = vdiOperations.filter((op) => !vdiOperationError(sim, vdiRef, vdi, op));
  const old = vdi.allowed_operations as string[];
  if (old.length !== allowed.length || old.some((o, i) => o !== allowed[i])) sim.store.update('VDI', vdiRef, { allowed_operations: allowed });
}

// Marks `op` on the VDI while `run` works, as xapi's with_sr_andor_vdi does.
export async function withVdiOperation<T>(sim: SimState, vdiRef: string, op: string, opRef: string, run: () => Promise<T>): Promise<T> {
  const vdi = assertVdiOperation(sim, vdiRef, op);
  sim.store.update('VDI', vdiRef, { current_operations: { ...(vdi.current_operations as Record<string, string>), [opRef]: op } });
  refreshVdiAllowedOperations(sim, vdiRef);
  try {
    return await run();
  } finally {
    const now = sim.store.get('VDI', vdiRef);
    if (now) {
      const ops = { ...(now.current_operations as Record<string, string>) };
      delete ops[opRef];
      sim.store.update('VDI', vdiRef, { current_operations: ops });
      refreshVdiAllowedOperations(sim, vdiRef);
    }
  }
}
