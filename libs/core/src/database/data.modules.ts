// One data module per family of tables: a feature module imports the ones whose data it reads or writes, so what a
// module may touch is written in its imports (not handed to everyone by one global module).
import { Module } from '@nestjs/common';
import { OperationLauncher } from '../domain/operation-launcher.js';
import { AuditRepository } from './repositories/audit.repository.js';
import { DataplaneRepository } from './repositories/dataplane.repository.js';
import { FlavorRepository } from './repositories/flavor.repository.js';
import { HostRepository } from './repositories/host.repository.js';
import { IdempotencyRepository } from './repositories/idempotency.repository.js';
import { ImageRepository } from './repositories/image.repository.js';
import { NetworkRepository } from './repositories/network.repository.js';
import { OperationRepository } from './repositories/operation.repository.js';
import { OutboxRepository } from './repositories/outbox.repository.js';
import { PoolTemplateRepository } from './repositories/pool-template.repository.js';
import { PoolRepository } from './repositories/pool.repository.js';
import { PresenceRepository } from './repositories/presence.repository.js';
import { VmNicRepository } from './repositories/vm-nic.repository.js';
import { VmRepository } from './repositories/vm.repository.js';
import { KeypairRepository } from './repositories/keypair.repository.js';
import { VmBootstrapRepository } from './repositories/vm-bootstrap.repository.js';
import { VolumeRepository, VolumeTypeRepository } from './repositories/volume.repository.js';

const OPERATIONS = [OperationRepository, OutboxRepository, IdempotencyRepository, OperationLauncher];
/** Operations, the outbox, idempotency keys, and the launcher that writes the three in the caller's transaction. */
@Module({ providers: OPERATIONS, exports: OPERATIONS })
export class OperationsDataModule {}

const VMS = [VmRepository, VmNicRepository, PresenceRepository, VmBootstrapRepository];
/** VMs, their NICs (and addresses), what their config drives are built from, and the presence rows only ResourceLifecycle writes. */
@Module({ providers: VMS, exports: VMS })
export class VmsDataModule {}

const NETWORKS = [NetworkRepository, DataplaneRepository];
/** Tenant networks and the data plane's view of them (bindings, hosts' OVS endpoints). */
@Module({ providers: NETWORKS, exports: NETWORKS })
export class NetworksDataModule {}

const VOLUMES = [VolumeRepository, VolumeTypeRepository];
/** Block volumes and the operator's volume types. */
@Module({ providers: VOLUMES, exports: VOLUMES })
export class VolumesDataModule {}

const CATALOG = [FlavorRepository, ImageRepository];
/** Flavors and images. */
@Module({ providers: CATALOG, exports: CATALOG })
export class CatalogDataModule {}

const POOLS = [PoolRepository, HostRepository, PoolTemplateRepository];
/** Registered pools, their hosts and templates as last synced. */
@Module({ providers: POOLS, exports: POOLS })
export class PoolsDataModule {}

/** The audit log. */
@Module({ providers: [AuditRepository], exports: [AuditRepository] })
export class AuditDataModule {}

/** Tenants' SSH keypairs. */
@Module({ providers: [KeypairRepository], exports: [KeypairRepository] })
export class KeypairsDataModule {}
