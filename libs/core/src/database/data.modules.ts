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
import { SecurityGroupRepository } from './repositories/security-group.repository.js';
import { VmBootstrapRepository } from './repositories/vm-bootstrap.repository.js';
import { VolumeRepository, VolumeTypeRepository } from './repositories/volume.repository.js';
import { ServerGroupRepository } from './repositories/server-group.repository.js';
import { PlacementRepository } from '../placement/placement.repository.js';
import { PlacementService } from '../placement/placement.service.js';
import { SnapshotRepository } from './repositories/snapshot.repository.js';
import { DiskOwnersRepository } from './repositories/disk-owners.repository.js';
import { ProviderNetworkRepository } from './repositories/provider-network.repository.js';
import { EventRepository } from './repositories/event.repository.js';
import { WebhookRepository } from './repositories/webhook.repository.js';

const OPERATIONS = [OperationRepository, OutboxRepository, IdempotencyRepository, OperationLauncher];
/** Operations, the outbox, idempotency keys, and the launcher that writes the three in the caller's transaction. */
@Module({ providers: OPERATIONS, exports: OPERATIONS })
export class OperationsDataModule {}

const VMS = [VmRepository, VmNicRepository, PresenceRepository, VmBootstrapRepository];
/** VMs, their NICs (and addresses), what their config drives are built from, and the presence rows only ResourceLifecycle writes. */
@Module({ providers: VMS, exports: VMS })
export class VmsDataModule {}

const NETWORKS = [NetworkRepository, DataplaneRepository, ProviderNetworkRepository];
/** Tenant and provider networks and the data plane's view of them (bindings, hosts' OVS endpoints). */
@Module({ providers: NETWORKS, exports: NETWORKS })
export class NetworksDataModule {}

const VOLUMES = [VolumeRepository, VolumeTypeRepository, SnapshotRepository, DiskOwnersRepository];
/** Block volumes, the operator's volume types, and snapshots (of VMs and of volumes). */
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

const PLACEMENT = [ServerGroupRepository, PlacementRepository, PlacementService];
/** Server groups and the scheduler that reads pools, hosts and every VM's claim to place one. */
@Module({ providers: PLACEMENT, exports: PLACEMENT })
export class PlacementDataModule {}
/** Security groups, their rules and the groups of each NIC. */
@Module({ providers: [SecurityGroupRepository], exports: [SecurityGroupRepository] })
export class SecurityGroupsDataModule {}

const EVENTS = [EventRepository, WebhookRepository];
/** The event log (appended by triggers at commit) and tenants' webhooks with their delivery state. */
@Module({ providers: EVENTS, exports: EVENTS })
export class EventsDataModule {}
