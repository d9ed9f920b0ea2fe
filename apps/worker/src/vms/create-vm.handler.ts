import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ImageRepository, JobName, OperationRepository, VmNicRepository, VmRepository } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { IMAGE_VDI_KEY, XapiStorage, type VmRecord } from '@xenplane/xapi-driver';
import { SagaError } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ConfigDriveService } from './config-drive.service.js';
import { cloneMarker, locateVm } from './vm-locator.js';
import { IMAGE_DISK_KEY, TENANT_ID_KEY, VM_ID_KEY, XENPLANE_TAG } from './vm-markers.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService, type VmObserved } from './vm-outcome.service.js';
import { VmHostChooser } from './vm-host-chooser.js';
import { plugNics } from './vm-nics.js';

const MIB = 1024 * 1024;

/** Every step's result once all have ended; the first failure otherwise (none left running behind a retry). */
async function settled<T extends readonly unknown[]>(steps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const ends = await Promise.allSettled(steps);
  const failed = ends.find((e) => e.status === 'rejected');
  if (failed) throw failed.reason;
  return ends.map((e) => (e as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/**
 * vm.create as a saga: clone (checkpointed with the uuid it made), configure, plug NICs, attach the config drive, place and start. Every step is
 * safe to repeat, and a retried job first looks for what an earlier attempt made, so nothing is cloned twice.
 */
@Injectable()
@HandlesJobs(JobName.VmCreate)
export class CreateVmHandler extends VmOperationHandler<VmObserved | null> {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly operations: OperationRepository,
    private readonly images: ImageRepository,
    private readonly nics: VmNicRepository,
    private readonly lifecycle: ResourceLifecycle,
    private readonly drives: ConfigDriveService,
    private readonly chooser: VmHostChooser,
  ) {
    super(vms, outcome);
  }

  async run({ operation, resource: vm, xapi: connect }: VmContext): Promise<VmObserved | null> {
    const { tenantId } = vm;
    if (vm.status === 'pending') await this.vms.update(this.ds.manager, tenantId, vm.id, { status: 'provisioning' });
    const image = await this.images.find(vm.imageId);
    if (!image) throw new SagaError('template_missing', `image ${vm.imageId} no longer exists`);
    const xapi = await connect();
    // Read once for the drive and the VIFs; the drive is built while the pool clones and configures, awaited at its step.
    const plugs = this.nics.listPlugs(tenantId, vm.id);
    plugs.catch(() => undefined); // awaited (and so reported) below
    const drive = this.drives.prepare(vm, { image, plugs });

    // The very first run (its attempt counted as it started) cannot have made anything yet; every later one (retry, stalled job) looks first.
    const firstRun = operation.attempts === 1 && operation.step === null;
    const found = firstRun ? null : await locateVm(xapi, vm, operation.checkpoint.xapiUuid);
    const clone = found ? null : await xapi.cloneTemplate(image.template, cloneMarker(vm.id));
    const made = (found ?? clone)!;
    await this.ds.transaction(async (tx) => {
      await this.operations.checkpoint(tx, tenantId, operation.id, 'cloned', { xapiUuid: made.uuid });
      // From here the VM is on the pool: billed for its disk until it is released.
      await this.lifecycle.apply(tx, { kind: 'vm', tenantId, id: vm.id }, 'made', { patch: { xapiUuid: made.uuid }, operationId: operation.id });
    });

    // A fresh clone's record, as the clone read it; an adopted one (or one given an image's disk) is read again.
    let record: VmRecord | undefined = clone?.record;
    // An image of one's own: the clone boots from a copy-on-write clone of its golden disk, then grows to the flavor's size.
    if (image.xapiUuid) {
      await new XapiStorage(xapi.client).attachImageDisk(made.ref, image.xapiUuid, IMAGE_VDI_KEY, { key: IMAGE_DISK_KEY, value: vm.id });
      record = undefined;
    }
    const provisioned = await xapi.completeProvisioning(
      made.ref,
      {
        nameLabel: vm.name,
        otherConfig: { [VM_ID_KEY]: vm.id, [TENANT_ID_KEY]: tenantId },
        tags: [XENPLANE_TAG],
        memoryBytes: vm.memoryMiB * MIB,
        vcpus: vm.vcpus,
        // Room to grow while running, as the API granted it (LIVE_RESIZE_HEADROOM).
        liveMax: { vcpus: vm.liveMaxVcpus ?? vm.vcpus, memoryBytes: (vm.liveMaxMemoryMiB ?? vm.memoryMiB) * MIB },
        rootDiskBytes: vm.diskGiB * 1024 * MIB,
      },
      record,
    );
    // Disks never shrink: a template larger than what was charged (unknown when the VM was accepted) fails it cleanly.
    const diskBytes = provisioned.templateDiskBytes;
    if (diskBytes !== null && diskBytes > vm.diskGiB * 1024 * MIB) {
      const minDiskGiB = Math.ceil(diskBytes / (1024 * MIB));
      throw new SagaError('disk_below_template', `the template's disk is ${minDiskGiB} GiB, more than the ${vm.diskGiB} GiB asked for`);
    }
    await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'configured', {});

    // Completing the clone changed none of its power state, VIFs or xenstore_data.
    const state = record ?? (await xapi.getVm(made.ref));
    // Plugging again finds the VIFs an earlier attempt made (ensureVif), so the NICs need no checkpoint of their own.
    const nics = plugs.then((p) => plugNics(xapi, this.nics, { tenantId, id: vm.id, ref: made.ref }, { plugs: p, known: state }));
    if (state.power_state === 'Running') {
      await nics;
      await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'started', {});
      return null;
    }
    // The NICs, the drive (attached before the first start, so cloud-init finds it on first boot) and the choice of
    // host need nothing of each other: their XAPI round trips overlap instead of adding up.
    const srRef = Promise.resolve(provisioned.rootSrRef);
    const [, digest, chosen] = await settled([
      nics,
      this.drives.ensure(xapi, vm, made.ref, { prepared: drive, fresh: firstRun, srRef }),
      this.chooser.choose(xapi, vm, operation, { image }),
    ] as const);
    // The NICs and the drive in one checkpoint: both are done once `settled` answers.
    await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'configdrive', { configDrive: digest });
    const host = await this.chooser.start(xapi, vm, operation, made.ref, { image, chosen });
    // VM.start_on answered: it runs there (xapi sets power_state and resident_on before the call returns), and the
    // 'started' step is recorded with the success; one that was running already (an earlier attempt's start) is looked at instead.
    if (host) return { status: 'running', powerState: 'Running', hostUuid: host.uuid, xapiUuid: made.uuid };
    await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'started', {});
    return null;
  }

  override async succeed(ctx: VmContext, observed?: VmObserved | null): Promise<void> {
    if (observed) await this.outcome.succeeded(ctx, { observed, step: 'started' });
    else await super.succeed(ctx);
  }
}
