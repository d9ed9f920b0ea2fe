import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Presence } from '../../domain/presence.js';
import type { CatalogItem, ImageStatus, ItemVisibility } from './catalog-item.js';

export const IMAGE_SOURCES = ['template', 'upload', 'vm'] as const;
export type ImageSource = (typeof IMAGE_SOURCES)[number];
export const IMAGE_DISK_FORMATS = ['raw', 'vhd', 'qcow2'] as const;
export type ImageDiskFormat = (typeof IMAGE_DISK_FORMATS)[number];

@Entity({ name: 'images' })
export class ImageEntity implements CatalogItem {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  /** XAPI template VMs are cloned from; for an image with a disk of its own, only its settings (boot, platform) are used. */
  @Column('text') template: string;
  @Column('text') status: ImageStatus;
  @Column('text') visibility: ItemVisibility;
  @Column('uuid', { name: 'tenant_ids', array: true }) tenantIds: string[];
  /** The config-drive layout its guests read: cloud-init's NoCloud (`cidata`) or OpenStack's `config-2` (cloudbase-init) */
  @Column('text', { name: 'config_drive', default: 'nocloud' }) configDrive: 'nocloud' | 'config-2';
  /** The owner of a private image; null for an operator's. */
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId: string | null;
  /** template: an operator's XAPI template; upload / vm: a golden VDI of its own (xapiUuid) */
  @Column('text', { default: 'template' }) source: ImageSource;
  @Column('uuid', { name: 'pool_id', nullable: true }) poolId: string | null;
  @Column('uuid', { name: 'source_vm_id', nullable: true }) sourceVmId: string | null;
  @Column('text', { name: 'xapi_uuid', nullable: true }) xapiUuid: string | null;
  @Column('text', { name: 'disk_format', nullable: true }) diskFormat: ImageDiskFormat | null;
  /** The disk's virtual size; bigint answers as a string, so it is read through a transformer. */
  @Column('bigint', {
    name: 'size_bytes',
    nullable: true,
    transformer: { to: (v: unknown) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  sizeBytes: number | null;
  /** What it holds of the imageGiB quota (0 until an upload is accepted). */
  @Column('int', { name: 'size_gib', default: 0 }) sizeGiB: number;
  @Column('text', { nullable: true }) sha256: string | null;
  /** Set only by ResourceLifecycle (null for operators' images, which hold nothing). */
  @Column({ type: 'text', nullable: true }) presence: Presence | null;
  @Column('text', { name: 'error_reason', nullable: true }) errorReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
