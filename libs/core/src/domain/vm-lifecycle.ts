import { createHash } from 'node:crypto';
import type { VmStatus } from '../database/entities/vm.entity.js';
import { JobName } from '../queue/jobs.js';

export type VmAction = 'start' | 'stop' | 'reboot' | 'resize' | 'delete' | 'migrate';

/** Which statuses each action may start from; anything else is 409 invalid_state. */
const ALLOWED_FROM: Record<VmAction, readonly VmStatus[]> = {
  start: ['stopped'],
  stop: ['running'],
  reboot: ['running'],
  resize: ['running', 'stopped'],
  delete: ['running', 'stopped', 'error'],
  // live only: a stopped VM on shared storage starts wherever placement says
  migrate: ['running'],
};

export const ACTION_JOB: Record<VmAction, JobName> = {
  start: JobName.VmStart,
  stop: JobName.VmStop,
  reboot: JobName.VmReboot,
  resize: JobName.VmResize,
  delete: JobName.VmDelete,
  migrate: JobName.VmMigrate,
};

export function isActionAllowed(status: VmStatus, action: VmAction): boolean {
  return ALLOWED_FROM[action].includes(status);
}

export function allowedActions(status: VmStatus): VmAction[] {
  return (Object.keys(ALLOWED_FROM) as VmAction[]).filter((a) => isActionAllowed(status, a));
}

/** A UUID derived from another and a label: stable across retries, so a compensating step keys its ledger row once. */
export function derivedUuid(base: string, label: string): string {
  const h = createHash('sha256').update(`${base}:${label}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
