// VM.provision: create the disks a template declares in other_config.disks, then make it a plain VM.
import { XMLParser } from 'fast-xml-parser';
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { isNullRef } from '../util/ids.js';
import { assertSrSpace, createVbd, createVdi } from './disks.js';
import { scalar } from '../datamodel/defaults.js';

export interface DiskSpec {
  device: string;
  size: number;
  sr: string;
  bootable: boolean;
  type: string;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, isArray: (name) => name === 'disk' });

export function parseDisks(xml: string): DiskSpec[] {
  let doc: { provision?: { disk?: Array<Record<string, string>> } };
  try {
    doc = parser.parse(xml) as typeof doc;
  } catch {
    return fail('INVALID_VALUE', 'other_config:disks', xml);
  }
  return (doc.provision?.disk ?? []).map((d) => ({
    device: String(d.device ?? '0'),
    size: Number(d.size ?? 0),
    sr: String(d.sr ?? ''),
    bootable: d.bootable === 'true',
    type: String(d.type ?? 'system'),
  }));
}

export function provisionVm(sim: SimState, vmRef: string): void {
  const { store } = sim;
  const vm = store.mustGet('VM', vmRef);
  const other = { ...(vm.other_config as Record<string, string>) };
  const disks = other.disks ? parseDisks(other.disks) : [];
  const defaultSr = scalar(sim.pool().default_SR);
  // sr="" (or an SR that no longer exists) means the pool's default SR.
  const srFor = (d: DiskSpec) => (d.sr && store.refByUuid('SR', d.sr)) || defaultSr;
  if (disks.length > 0 && (isNullRef(defaultSr) || !store.get('SR', defaultSr)) && disks.some((d) => srFor(d) === defaultSr))
    fail('VM_REQUIRES_SR', vmRef, defaultSr);
  const need = new Map<string, number>();
  for (const d of disks) need.set(srFor(d), (need.get(srFor(d)) ?? 0) + d.size);
  for (const [sr, bytes] of need) assertSrSpace(sim, sr, bytes);
  for (const d of disks) {
    const vdi = createVdi(sim, {
      name_label: `${scalar(vm.name_label)} ${d.device}`,
      name_description: 'Created by template provisioner',
      SR: srFor(d),
      virtual_size: d.size,
      type: d.type,
      sharable: false,
      read_only: false,
      other_config: {},
    });
    createVbd(sim, {
      VM: vmRef,
      VDI: vdi,
      userdevice: d.device,
      bootable: d.bootable,
      mode: 'RW',
      type: 'Disk',
      unpluggable: false,
      empty: false,
      other_config: {},
    });
  }
  delete other.disks;
  store.update('VM', vmRef, { other_config: other, is_a_template: false, is_default_template: false });
}
