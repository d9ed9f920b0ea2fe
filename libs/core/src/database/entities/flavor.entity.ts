import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CatalogItem, CatalogStatus, CatalogVisibility } from './catalog-item.js';

@Entity({ name: 'flavors' })
export class FlavorEntity implements CatalogItem {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('int') vcpus: number;
  @Column('int', { name: 'memory_mib' }) memoryMiB: number;
  @Column('int', { name: 'disk_gib' }) diskGiB: number;
  @Column('text') status: CatalogStatus;
  @Column('text') visibility: CatalogVisibility;
  @Column('uuid', { name: 'tenant_ids', array: true }) tenantIds: string[];
  /** The `restart` a VM of this flavor gets at creation: started again elsewhere when its host dies. */
  @Column('boolean', { name: 'restart_on_host_failure' }) restartOnHostFailure: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
