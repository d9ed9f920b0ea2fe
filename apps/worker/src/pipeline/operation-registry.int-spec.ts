// The worker refuses to boot unless every catalogued job has exactly one handler (libs/core JOB_QUEUE).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Injectable } from '@nestjs/common';
import { JOB_QUEUE, JobName } from '@xenplane/core';
import { createTestDatabase, type TestDatabase } from '@xenplane/testing';
import { bootWorker } from '../testing/worker-fixture.js';
import { VmsModule } from '../vms/vms.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { SnapshotsModule } from '../snapshots/snapshots.module.js';
import { ImagesModule } from '../images/images.module.js';
import { NetworksModule } from '../networks/networks.module.js';
import { CreateNetworkHandler } from '../networks/create-network.handler.js';
import { PowerVmHandler } from '../vms/power-vm.handler.js';
import { HandlesJobs } from './operation-handler.js';
import { OperationRegistry } from './operation-registry.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

// Boots without talking to a pool: nothing here reaches XAPI.
const env = () => ({ DATABASE_URL: db.url, XAPI_URL: 'http://127.0.0.1:9' });

test('the VM and network modules together handle every catalogued job', async () => {
  const app = await bootWorker({ env: env() });
  try {
    const registry = app.get(OperationRegistry);
    for (const job of Object.keys(JOB_QUEUE)) assert.ok(registry.handlerFor(job), job);
    assert.ok(registry.handlerFor(JobName.VmReboot) instanceof PowerVmHandler);
    assert.ok(registry.handlerFor(JobName.NetworkCreate) instanceof CreateNetworkHandler);
    assert.equal(registry.handlerFor('vm.teleport'), undefined);
  } finally {
    await app.close();
  }
});

test('booting without the networks module fails, naming the jobs left without a handler', async () => {
  await assert.rejects(bootWorker({ env: env(), features: [VmsModule, VolumesModule, SnapshotsModule, ImagesModule] }), {
    message: 'no handler for jobs: network.create, network.delete',
  });
});

test('booting without the volumes module fails, naming its five jobs', async () => {
  await assert.rejects(bootWorker({ env: env(), features: [VmsModule, NetworksModule, SnapshotsModule, ImagesModule] }), {
    message: 'no handler for jobs: volume.create, volume.attach, volume.detach, volume.resize, volume.delete',
  });
});

test('booting without the snapshots module fails, naming its three jobs', async () => {
  await assert.rejects(bootWorker({ env: env(), features: [VmsModule, NetworksModule, VolumesModule, ImagesModule] }), {
    message: 'no handler for jobs: snapshot.create, snapshot.revert, snapshot.delete',
  });
});

test('booting without the images module fails, naming its three jobs', async () => {
  await assert.rejects(bootWorker({ env: env(), features: [VmsModule, NetworksModule, VolumesModule, SnapshotsModule] }), {
    message: 'no handler for jobs: image.upload, image.capture, image.delete',
  });
});

@Injectable()
@HandlesJobs(JobName.VmStart)
class SecondStartHandler {}

test('two handlers for one job fail the boot', async () => {
  await assert.rejects(
    bootWorker({
      env: env(),
      features: [VmsModule, NetworksModule, VolumesModule, SnapshotsModule, ImagesModule],
      providers: [SecondStartHandler],
    }),
    {
      message: 'two handlers for job vm.start',
    },
  );
});
