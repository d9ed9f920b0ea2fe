import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CatalogItem, CatalogStatus, CatalogVisibility } from './catalog-item.js';

@Entity({ name: 'images' })
export class ImageEntity implements CatalogItem {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  /** XAPI template name_label or uuid that VMs are cloned from. */
  @Column('text') template: string;
  @Column('text') status: CatalogStatus;
  @Column('text') visibility: CatalogVisibility;
  @Column('uuid', { name: 'tenant_ids', array: true }) tenantIds: string[];
  /** The config-drive layout its guests read: cloud-init's NoCloud (`cidata`) or OpenStack's `config-2` (cloudbase-init) */
  @Column('text', { name: 'config_drive', default: 'nocloud' }) configDrive: 'nocloud' | 'config-2';
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
