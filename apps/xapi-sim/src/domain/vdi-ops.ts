// VDI.snapshot, VDI.clone and VDI.copy with their contents (ocaml/xapi/xapi_vdi.ml snapshot_and_clone, copy;
// sm_fs_ops.ml copy_vdi), and physical_utilisation of thin SRs following what the disk holds.
import type { XRecord } from '../datamodel/defaults.js';
import { fail } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import { isNullRef } from '../util/ids.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { chargeSr, createVdi, destroyVdi } from './disks.js';
import { isThinSr, mustWriteZeroes, refreshVdiAllowedOperations } from './vdi-rules.js';
import { scalar } from '../datamodel/defaults.js';

// Metadata xapi carries across to a snapshot or clone.
const carried = ['name_label', 'name_description', 'type', 'sharable', 'other_config', 'xenstore_data', 'on_boot', 'allow_caching', 'tags'];

function pick(record: XRecord, keys: string[]): XRecord {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, structuredClone(record[k]!)]));
}

// Thin SRs report what the file holds; thick ones keep the reservation made at create.
export async function refreshUtilisation(sim: SimState, vdiRef: string): Promise<void> {
  const vdi = sim.store.get('VDI', vdiRef);
  const sr = vdi && sim.store.get('SR', scalar(vdi.SR));
  if (!vdi || !sr || !isThinSr(sr)) return;
  const bytes = await sim.content.allocated(scalar(vdi.uuid));
  const now = sim.store.get('VDI', vdiRef);
  if (!now || bytes === Number(now.physical_utilisation)) return;
  chargeSr(sim, scalar(now.SR), bytes - Number(now.physical_utilisation), 0);
  sim.store.update('VDI', vdiRef, { physical_utilisation: bytes });
}

async function duplicate(sim: SimState, srcRef: string, snapshot: boolean, driverParams: Record<string, string>): Promise<string> {
  const src = sim.store.mustGet('VDI', srcRef);
  const ref = createVdi(sim, {
    ...pick(src, carried),
    SR: src.SR!,
    virtual_size: src.virtual_size!,
    read_only: false,
    sm_config: { ...driverParams },
    ...(snapshot ? { is_a_snapshot: true, snapshot_of: srcRef, snapshot_time: nowXapiDate() } : {}),
  });
  try {
    await sim.content.copy(scalar(src.uuid), scalar(sim.store.mustGet('VDI', ref).uuid), Number(src.virtual_size), { sparse: true });
  } catch (e) {
    destroyVdi(sim, ref);
    throw e;
  }
  await refreshUtilisation(sim, ref);
  refreshVdiAllowedOperations(sim, ref);
  return ref;
}

export const snapshotVdi = (sim: SimState, vdiRef: string, driverParams: Record<string, string> = {}) => duplicate(sim, vdiRef, true, driverParams);
export const cloneVdi = (sim: SimState, vdiRef: string, driverParams: Record<string, string> = {}) => duplicate(sim, vdiRef, false, driverParams);

/** VDI.copy: into `into` when it is a valid VDI, else a new VDI on `sr`; with `base`, only what differs from it. */
export async function copyVdi(sim: SimState, vdiRef: string, srRef: string, baseRef: string, intoRef: string): Promise<string> {
  const src = sim.store.mustGet('VDI', vdiRef);
  const into = !isNullRef(intoRef) && sim.store.get('VDI', intoRef) ? intoRef : undefined;
  // CA-64962: a new copy is always RW, whatever the source
  const dst =
    into ??
    createVdi(sim, {
      ...pick(src, [
        'name_label',
        'name_description',
        'virtual_size',
        'type',
        'sharable',
        'other_config',
        'xenstore_data',
        'tags',
        'on_boot',
        'allow_caching',
      ]),
      SR: srRef,
      read_only: false,
      sm_config: {},
    });
  try {
    const d = sim.store.mustGet('VDI', dst);
    if (d.read_only === true) fail('VDI_READONLY', dst);
    if (Number(d.virtual_size) < Number(src.virtual_size)) fail('VDI_TOO_SMALL', dst, Number(src.virtual_size));
    const base = !isNullRef(baseRef) && sim.store.get('VDI', baseRef) ? sim.store.get('VDI', baseRef) : undefined;
    const sparse = !mustWriteZeroes(sim.store.mustGet('SR', scalar(d.SR)), d);
    if (!sparse && base) fail('VDI_NOT_SPARSE', dst);
    await sim.content.copy(scalar(src.uuid), scalar(d.uuid), Number(src.virtual_size), { sparse, base: base ? scalar(base.uuid) : undefined });
  } catch (e) {
    if (!into && sim.store.get('VDI', dst)) destroyVdi(sim, dst);
    throw e;
  }
  await refreshUtilisation(sim, dst);
  refreshVdiAllowedOperations(sim, dst);
  return dst;
}
