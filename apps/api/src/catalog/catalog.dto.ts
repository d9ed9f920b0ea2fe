import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import {
  CATALOG_STATUSES,
  IMAGE_SOURCES,
  IMAGE_STATUSES,
  CATALOG_VISIBILITIES,
  type CatalogItem,
  type CatalogVisibility,
  type FlavorEntity,
  type ImageEntity,
} from '@xenplane/core';
import { FilteredQuery } from '../common/list-query.dto.js';
import { NameField } from '../common/name-field.decorator.js';
import { PageQueryDto } from '../common/query.dto.js';

export const MAX_SHARED_TENANTS = 1000;

/** Who may see and use a flavor or image; on a create, public unless said otherwise. */
export class VisibilityDto {
  @ApiPropertyOptional({ enum: CATALOG_VISIBILITIES, description: 'public: every tenant; shared: only the tenants in tenantIds' })
  @IsOptional()
  @IsIn(CATALOG_VISIBILITIES)
  visibility?: CatalogVisibility;

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: MAX_SHARED_TENANTS, description: 'the tenants a shared one is for' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_SHARED_TENANTS)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  tenantIds?: string[];
}

export class CreateFlavorDto extends VisibilityDto {
  @NameField({ example: 'small', maxLength: 100 })
  name: string;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 256, example: 2 })
  @IsInt()
  @Min(1)
  @Max(256)
  vcpus: number;
  @ApiProperty({ type: 'integer', minimum: 128, maximum: 4_194_304, example: 2048 })
  @IsInt()
  @Min(128)
  @Max(4_194_304)
  memoryMiB: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 65_536, example: 20 })
  @IsInt()
  @Min(1)
  @Max(65_536)
  diskGiB: number;
  @ApiPropertyOptional({
    description: "its VMs' restart (default false): started again on another host when theirs dies; a VM may change its own",
  })
  @IsOptional()
  @IsBoolean()
  restartOnHostFailure?: boolean;
}

export class CreateImageDto extends VisibilityDto {
  @NameField({ example: 'debian-12', maxLength: 100 })
  name: string;
  @NameField({
    description:
      "XAPI template name_label or uuid, one the pool has (GET /v1/pools/:id/templates); required of operators. A tenant's own image (private, its disk uploaded next with PUT /v1/images/:id/file) takes only the template's settings (boot, platform), default the API's IMAGE_BASE_TEMPLATE",
    example: 'Debian Bookworm 12',
    maxLength: 255,
    optional: true,
  })
  template?: string;
  @ApiPropertyOptional({
    enum: ['nocloud', 'config-2'],
    default: 'nocloud',
    description:
      "the config drive its VMs get: cloud-init's NoCloud (label cidata), or OpenStack's config-2 layout for cloudbase-init (Windows) guests",
  })
  @IsOptional()
  @IsIn(['nocloud', 'config-2'])
  configDrive?: 'nocloud' | 'config-2';
}

/** What may change of a flavor or image: its name, deprecation and visibility (never what existing VMs were made from). */
export class UpdateCatalogItemDto extends VisibilityDto {
  @NameField({ example: 'small-v2', maxLength: 100, optional: true })
  name?: string;

  @ApiPropertyOptional({ description: 'true: refused to new VMs (and resizes), kept for the VMs that use it; false: usable again' })
  @IsOptional()
  @IsBoolean()
  deprecated?: boolean;
}

/** A flavor's change: an item's, and the restart its VMs get at creation from now on (existing VMs keep their own). */
export class UpdateFlavorDto extends UpdateCatalogItemDto {
  @ApiPropertyOptional({
    description: 'the restart VMs created from now on take (started again on another host when theirs dies); existing VMs keep their own',
  })
  @IsOptional()
  @IsBoolean()
  restartOnHostFailure?: boolean;
}

export class CatalogListQuery extends FilteredQuery(PageQueryDto, CATALOG_STATUSES, { named: true, hidden: ['deleted'] }) {}
export class ImageListQuery extends FilteredQuery(PageQueryDto, IMAGE_STATUSES, { named: true, hidden: ['deleted'] }) {}

/** The fields flavors and images share; `tenantIds` is for operators only (tenants never learn each other's ids). */
function itemFields(i: CatalogItem, forOperator: boolean) {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    deprecated: i.status === 'deprecated',
    visibility: i.visibility,
    ...(forOperator ? { tenantIds: i.tenantIds } : {}),
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

export class FlavorView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() vcpus: number;
  @ApiProperty() memoryMiB: number;
  @ApiProperty() diskGiB: number;
  @ApiProperty({ description: 'the restart its VMs get at creation (started again elsewhere when their host dies)' })
  restartOnHostFailure: boolean;
  @ApiProperty({ enum: CATALOG_STATUSES }) status: string;
  @ApiProperty({ description: 'refused to new VMs, kept for existing ones' }) deprecated: boolean;
  @ApiProperty({ enum: CATALOG_VISIBILITIES }) visibility: string;
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'operators only: the tenants a shared one is for' }) tenantIds?: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(this: void, f: FlavorEntity, forOperator: boolean): FlavorView {
    return {
      ...itemFields(f, forOperator),
      vcpus: f.vcpus,
      memoryMiB: f.memoryMiB,
      diskGiB: f.diskGiB,
      restartOnHostFailure: f.restartOnHostFailure,
    };
  }
}

export class ImageView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() template: string;
  @ApiProperty({ enum: IMAGE_STATUSES, description: "a tenant's own: queued (no disk yet), saving, active, deleting, error" }) status: string;
  @ApiProperty({ description: 'refused to new VMs, kept for existing ones' }) deprecated: boolean;
  @ApiProperty({ enum: CATALOG_VISIBILITIES }) visibility: string;
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'operators only: the tenants a shared one is for' }) tenantIds?: string[];
  @ApiProperty({ enum: ['nocloud', 'config-2'] }) configDrive: string;
  @ApiProperty({ enum: IMAGE_SOURCES, description: "template: an operator's XAPI template; upload, vm: a disk of its own" }) source: string;
  @ApiProperty({ format: 'uuid', nullable: true, description: 'the tenant owning a private image (null: an operator image)' }) ownerTenantId:
    string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: "its disk's virtual size" }) sizeBytes: number | null;
  @ApiProperty({ type: 'integer', description: 'what it holds of the imageGiB quota' }) sizeGiB: number;
  @ApiProperty({ enum: ['raw', 'vhd', 'qcow2'], nullable: true, description: 'the format it was uploaded in' }) diskFormat: string | null;
  @ApiProperty({ nullable: true, description: 'sha256 (hex) of the bytes uploaded' }) sha256: string | null;
  @ApiProperty({ nullable: true, description: 'why its upload or capture failed' }) errorReason: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(this: void, i: ImageEntity, forOperator: boolean): ImageView {
    return {
      ...itemFields(i, forOperator),
      template: i.template,
      configDrive: i.configDrive,
      source: i.source,
      ownerTenantId: i.tenantId,
      sizeBytes: i.sizeBytes,
      sizeGiB: i.sizeGiB,
      diskFormat: i.diskFormat,
      sha256: i.sha256,
      errorReason: i.errorReason,
    };
  }
}
