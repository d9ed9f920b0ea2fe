import { ApiKeyEntity } from './api-key.entity.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { FlavorEntity } from './flavor.entity.js';
import { HostEntity } from './host.entity.js';
import { ImageEntity } from './image.entity.js';
import { NetworkEntity } from './network.entity.js';
import { OperationEntity } from './operation.entity.js';
import { OutboxEntity } from './outbox.entity.js';
import { PoolEntity } from './pool.entity.js';
import { TenantEntity } from './tenant.entity.js';
import { VmEntity } from './vm.entity.js';
import { VmNicEntity } from './vm-nic.entity.js';
import { KeypairEntity } from './keypair.entity.js';
import { VmBootstrapEntity } from './vm-bootstrap.entity.js';
import { VolumeEntity, VolumeTypeEntity } from './volume.entity.js';
import { ServerGroupEntity } from './server-group.entity.js';
import { SnapshotEntity } from './snapshot.entity.js';
import { ProviderNetworkEntity } from './provider-network.entity.js';
import { SecurityGroupEntity } from './security-group.entity.js';
import { WebhookEntity } from './webhook.entity.js';

export {
  ApiKeyEntity,
  AuditEntryEntity,
  FlavorEntity,
  HostEntity,
  ImageEntity,
  NetworkEntity,
  OperationEntity,
  OutboxEntity,
  PoolEntity,
  TenantEntity,
  VmEntity,
  VmNicEntity,
  KeypairEntity,
  VmBootstrapEntity,
  VolumeEntity,
  VolumeTypeEntity,
  ServerGroupEntity,
  SnapshotEntity,
  ProviderNetworkEntity,
  SecurityGroupEntity,
  WebhookEntity,
};
export type { ApiKeyRole } from './api-key.entity.js';
export { VM_STATUSES, type VmStatus } from './vm.entity.js';
export { OPERATION_STATUSES, type OperationStatus } from './operation.entity.js';
export { NETWORK_STATUSES, type NetworkStatus } from './network.entity.js';
export { POOL_STATUSES, type PoolStatus } from './pool.entity.js';
export { HOST_MAINTENANCE, type HostMaintenance, type MaintenanceBlocker } from './host.entity.js';
export * from './catalog-item.js';
export { SERVER_GROUP_POLICIES, type ServerGroupPolicy } from './server-group.entity.js';
export { VOLUME_STATUSES, type VolumeStatus } from './volume.entity.js';
export { SG_DIRECTIONS, SG_PROTOCOLS, type SecurityGroupRuleRow } from './security-group.entity.js';
export type { VmNicStatus } from './vm-nic.entity.js';
export { SNAPSHOT_STATUSES, type SnapshotStatus } from './snapshot.entity.js';
export { IMAGE_SOURCES, IMAGE_DISK_FORMATS, type ImageSource, type ImageDiskFormat } from './image.entity.js';
export { PROVIDER_NETWORK_STATUSES, type ProviderNetworkStatus, type AllocationPool } from './provider-network.entity.js';

export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  FlavorEntity,
  ImageEntity,
  PoolEntity,
  HostEntity,
  VmEntity,
  OperationEntity,
  OutboxEntity,
  AuditEntryEntity,
  NetworkEntity,
  VmNicEntity,
  KeypairEntity,
  VmBootstrapEntity,
  VolumeTypeEntity,
  VolumeEntity,
  ServerGroupEntity,
  SnapshotEntity,
  ProviderNetworkEntity,
  SecurityGroupEntity,
  WebhookEntity,
];
export { WEBHOOK_STATUSES, type WebhookStatus } from './webhook.entity.js';
