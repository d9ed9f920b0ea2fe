import type { VmStatus } from '../database/entities/vm.entity.js';
import { JobName } from '../queue/jobs.js';

export type VmAction = 'start' | 'stop' | 'reboot' | 'delete';

/** Which statuses each action may start from; anything else is 409 invalid_state. */
const ALLOWED_FROM: Record<VmAction, readonly VmStatus[]> = {
  start: ['stopped'],
  stop: ['running'],
  reboot: ['running'],
  delete: ['running', 'stopped', 'error'],
};

export const ACTION_JOB: Record<VmAction, JobName> = {
  start: JobName.VmStart,
  stop: JobName.VmStop,
  reboot: JobName.VmReboot,
  delete: JobName.VmDelete,
};

export function isActionAllowed(status: VmStatus, action: VmAction): boolean {
  return ALLOWED_FROM[action].includes(status);
}

export function allowedActions(status: VmStatus): VmAction[] {
  return (Object.keys(ALLOWED_FROM) as VmAction[]).filter((a) => isActionAllowed(status, a));
}

/** Status the VM shows once the action's operation succeeded. */
export const STATUS_AFTER: Record<VmAction, VmStatus> = {
  start: 'running',
  stop: 'stopped',
  reboot: 'running',
  delete: 'deleted',
};
