import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { ImageView } from '../catalog/catalog.dto.js';
import { NameField } from '../common/name-field.decorator.js';
import { OperationView } from '../vms/vm.dto.js';

export class UploadImageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'operator keys only: the tenant to act on' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @ApiPropertyOptional({
    enum: ['raw', 'vhd', 'qcow2'],
    description: 'what the bytes are; left out, the upload tells (a qcow2 header, a VHD footer, else raw)',
  })
  @IsOptional()
  @IsIn(['raw', 'vhd', 'qcow2'])
  format?: 'raw' | 'vhd' | 'qcow2';

  @ApiPropertyOptional({
    pattern: '^[0-9a-f]{64}$',
    description: 'the sha256 (hex) the bytes have; a mismatch is 422 checksum_mismatch and keeps nothing',
  })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lowercase hex digits' })
  sha256?: string;
}

export class DownloadImageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'operator keys only: the tenant to act on' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @ApiPropertyOptional({ enum: ['raw', 'vhd'], default: 'raw', description: 'raw bytes, or a dynamic VHD (empty blocks left out)' })
  @IsOptional()
  @IsIn(['raw', 'vhd'])
  format?: 'raw' | 'vhd';
}

export class CaptureImageDto {
  @NameField({ example: 'web-golden', maxLength: 100 })
  name: string;
}

export class ImageAcceptedView {
  @ApiProperty({ type: ImageView }) image: ImageView;
  @ApiProperty({ type: OperationView }) operation: OperationView;
}
