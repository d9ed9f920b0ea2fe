/** Queues are kebab strings, jobs dotted (style-anchors §6). */
export const QueueName = {
  VmLifecycle: 'vm-lifecycle',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  VmCreate: 'vm.create',
  VmDelete: 'vm.delete',
  VmStart: 'vm.start',
  VmStop: 'vm.stop',
  VmReboot: 'vm.reboot',
  VmResize: 'vm.resize',
  NetworkCreate: 'network.create',
  NetworkDelete: 'network.delete',
  VolumeCreate: 'volume.create',
  VolumeAttach: 'volume.attach',
  VolumeDetach: 'volume.detach',
  VolumeResize: 'volume.resize',
  VolumeDelete: 'volume.delete',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Every job names its queue here; the worker refuses to boot if a job has no handler. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.VmCreate]: QueueName.VmLifecycle,
  [JobName.VmDelete]: QueueName.VmLifecycle,
  [JobName.VmStart]: QueueName.VmLifecycle,
  [JobName.VmStop]: QueueName.VmLifecycle,
  [JobName.VmReboot]: QueueName.VmLifecycle,
  [JobName.VmResize]: QueueName.VmLifecycle,
  // Network jobs share the lifecycle queue (and its relay, sweeper and retries); the processor routes them by kind.
  [JobName.NetworkCreate]: QueueName.VmLifecycle,
  [JobName.NetworkDelete]: QueueName.VmLifecycle,
  // Volume jobs too: an attach and the VM's own saga meet on one queue and its per-pool limits.
  [JobName.VolumeCreate]: QueueName.VmLifecycle,
  [JobName.VolumeAttach]: QueueName.VmLifecycle,
  [JobName.VolumeDetach]: QueueName.VmLifecycle,
  [JobName.VolumeResize]: QueueName.VmLifecycle,
  [JobName.VolumeDelete]: QueueName.VmLifecycle,
};

/** Id-only payload: the worker reloads everything from Postgres and re-enters the tenant context. */
export interface OperationJobData {
  tenantId: string;
  operationId: string;
}

/** Options every lifecycle job is added with; `backoffMs` is the first retry delay (doubling, with jitter). */
export function jobOptions(backoffMs = 1000) {
  return {
    attempts: 8,
    backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
    // Completed jobs linger so a duplicate relay of the same jobId is still recognised and dropped.
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(JOB_QUEUE, name);
}
