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
  VmMigrate: 'vm.migrate',
  VmRestartAfterFailure: 'vm.restart-after-failure',
  VmStopAfterFailure: 'vm.stop-after-failure',
  VmAddNic: 'vm.add-nic',
  VmRemoveNic: 'vm.remove-nic',
  NetworkCreate: 'network.create',
  NetworkDelete: 'network.delete',
  VolumeCreate: 'volume.create',
  VolumeAttach: 'volume.attach',
  VolumeDetach: 'volume.detach',
  VolumeResize: 'volume.resize',
  VolumeDelete: 'volume.delete',
  SnapshotCreate: 'snapshot.create',
  SnapshotRevert: 'snapshot.revert',
  SnapshotDelete: 'snapshot.delete',
  ImageUpload: 'image.upload',
  ImageCapture: 'image.capture',
  ImageDelete: 'image.delete',
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
  [JobName.VmMigrate]: QueueName.VmLifecycle,
  // A dead host's VMs: reset (the pool's fence), then started elsewhere or left stopped.
  [JobName.VmRestartAfterFailure]: QueueName.VmLifecycle,
  [JobName.VmStopAfterFailure]: QueueName.VmLifecycle,
  [JobName.VmAddNic]: QueueName.VmLifecycle,
  [JobName.VmRemoveNic]: QueueName.VmLifecycle,
  // Network jobs share the lifecycle queue (and its relay, sweeper and retries); the processor routes them by kind.
  [JobName.NetworkCreate]: QueueName.VmLifecycle,
  [JobName.NetworkDelete]: QueueName.VmLifecycle,
  // Volume jobs too: an attach and the VM's own saga meet on one queue and its per-pool limits.
  [JobName.VolumeCreate]: QueueName.VmLifecycle,
  [JobName.VolumeAttach]: QueueName.VmLifecycle,
  [JobName.VolumeDetach]: QueueName.VmLifecycle,
  [JobName.VolumeResize]: QueueName.VmLifecycle,
  [JobName.VolumeDelete]: QueueName.VmLifecycle,
  // Snapshot jobs stop, revert and start VMs: the same queue as the VM's own jobs.
  [JobName.SnapshotCreate]: QueueName.VmLifecycle,
  [JobName.SnapshotRevert]: QueueName.VmLifecycle,
  [JobName.SnapshotDelete]: QueueName.VmLifecycle,
  // Image jobs: an upload's import, a copy of a stopped VM's disk, a golden disk's removal.
  [JobName.ImageUpload]: QueueName.VmLifecycle,
  [JobName.ImageCapture]: QueueName.VmLifecycle,
  [JobName.ImageDelete]: QueueName.VmLifecycle,
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
