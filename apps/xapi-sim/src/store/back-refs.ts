// Ref-set fields xapi keeps in step with a child's ref field (VM.VBDs follows VBD.VM, ...).
export interface BackRef {
  child: string;
  field: string;
  parent: string;
  set: string;
}

export const backRefs: readonly BackRef[] = [
  { child: 'VBD', field: 'VM', parent: 'VM', set: 'VBDs' },
  { child: 'VBD', field: 'VDI', parent: 'VDI', set: 'VBDs' },
  { child: 'VIF', field: 'VM', parent: 'VM', set: 'VIFs' },
  { child: 'VIF', field: 'network', parent: 'network', set: 'VIFs' },
  { child: 'VDI', field: 'SR', parent: 'SR', set: 'VDIs' },
  { child: 'PBD', field: 'SR', parent: 'SR', set: 'PBDs' },
  { child: 'PBD', field: 'host', parent: 'host', set: 'PBDs' },
  { child: 'PIF', field: 'host', parent: 'host', set: 'PIFs' },
  { child: 'PIF', field: 'network', parent: 'network', set: 'PIFs' },
  { child: 'VM', field: 'resident_on', parent: 'host', set: 'resident_VMs' },
  { child: 'VM', field: 'snapshot_of', parent: 'VM', set: 'snapshots' },
  { child: 'VDI', field: 'snapshot_of', parent: 'VDI', set: 'snapshots' },
  { child: 'task', field: 'subtask_of', parent: 'task', set: 'subtasks' },
  { child: 'console', field: 'VM', parent: 'VM', set: 'consoles' },
];

export function backRefsOf(cls: string): BackRef[] {
  return backRefs.filter((b) => b.child === cls);
}
