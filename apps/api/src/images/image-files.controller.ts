import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { fieldError } from '@xenplane/core';
import { isOperator, TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { ImageView } from '../catalog/catalog.dto.js';
import { withOperationLocation } from '../common/accepted.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { OperationView } from '../vms/vm.dto.js';
import { CaptureImageDto, DownloadImageQuery, ImageAcceptedView, UploadImageQuery } from './image.dto.js';
import { ImageDownloadService } from './image-download.service.js';
import { ImageUploadService } from './image-upload.service.js';
import { ImagesService, type ImageAccepted } from './images.service.js';

/** RFC 9530 `Content-Digest: sha-256=:<base64>:` as hex, or undefined when the header names no sha-256. */
function contentDigest(header: string | undefined): string | undefined {
  const m = header ? /(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):/.exec(header) : null;
  if (!m) return undefined;
  const bytes = Buffer.from(m[1], 'base64');
  if (bytes.length !== 32) throw fieldError('Content-Digest', 'sha-256 must be 32 bytes, base64 between colons');
  return bytes.toString('hex');
}

function accepted(res: Response, p: Principal, r: ImageAccepted): ImageAcceptedView {
  return withOperationLocation(res, r.operation, { image: ImageView.of(r.image, isOperator(p)), operation: OperationView.of(r.operation) });
}

/** A tenant's own image disks: upload, download, and an image from a stopped VM. */
@ApiTags('catalog')
@ApiBearerAuth()
@AnyRole()
@Controller('v1')
export class ImageFilesController {
  constructor(
    private readonly uploads: ImageUploadService,
    private readonly downloads: ImageDownloadService,
    private readonly images: ImagesService,
    private readonly access: TenantAccessService,
  ) {}

  @Put('images/:id/file')
  @HttpCode(202)
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' }, description: 'the disk: raw, VHD (fixed or dynamic) or qcow2' })
  @ApiDoc({
    summary: "Upload a private image's disk",
    description:
      'Streams the disk (Content-Length or chunked) to the server, which counts and hashes it as it arrives; qcow2 is converted for pools without qcow2 import. ' +
      'With ?sha256= or Content-Digest (RFC 9530) a different hash is 422 checksum_mismatch; a body that ends early is upload_incomplete; either way nothing is kept and the image stays queued. ' +
      'Accepted: the imageGiB quota is charged (409 quota_exceeded), the image is saving, and the operation imports the disk into the pool. One upload per image (409 invalid_state after).',
    errors: [
      'checksum_mismatch',
      'upload_incomplete',
      'image_invalid',
      'payload_too_large',
      'quota_exceeded',
      'invalid_state',
      'operation_in_progress',
    ],
  })
  @ApiAcceptedResponse({ type: ImageAcceptedView })
  async upload(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: UploadImageQuery,
    @Param('id', UuidParamPipe) id: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImageAcceptedView> {
    const tenantId = await this.access.resolve(p, q.tenantId);
    const digest = contentDigest(req.header('content-digest'));
    if (digest && q.sha256 && digest !== q.sha256) throw fieldError('sha256', 'differs from the Content-Digest header');
    const length = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    const upload = { body: req, length, sha256: q.sha256 ?? digest, format: q.format };
    return accepted(res, p, await this.uploads.upload(tenantId, id, upload, meta));
  }

  @Get('images/:id/file')
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'the disk, streamed from the pool' })
  @ApiDoc({
    summary: "Download a private image's disk",
    description:
      "The golden disk as the pool exports it (/export_raw_vdi): raw (byte for byte what a raw upload sent) or a dynamic VHD. Only the image's own tenant; an image without a disk is 422 image_not_ready.",
    errors: ['image_not_ready', 'unavailable'],
  })
  async download(
    @CurrentPrincipal() p: Principal,
    @Query() q: DownloadImageQuery,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const file = await this.downloads.open(await this.access.resolve(p, q.tenantId), id, q.format ?? 'raw');
    res.setHeader('Content-Disposition', `attachment; filename="${file.filename}"`);
    if (file.length !== undefined) res.setHeader('Content-Length', String(file.length));
    return new StreamableFile(file.stream, { type: file.type });
  }

  @Post('vms/:id/image')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Make an image of a stopped VM',
    description:
      "A private image whose disk is a copy of the VM's boot disk, independent of the VM afterwards; the imageGiB quota is charged with the VM's disk size. A VM that is not stopped is 409 invalid_state; the VM is busy (operation_in_progress) while its disk is copied.",
    errors: ['invalid_state', 'operation_in_progress', 'quota_exceeded', 'name_taken'],
  })
  @ApiAcceptedResponse({ type: ImageAcceptedView })
  async capture(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) vmId: string,
    @Body() dto: CaptureImageDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImageAcceptedView> {
    return accepted(res, p, await this.images.capture(await this.access.resolve(p, q.tenantId), vmId, dto.name, meta));
  }
}
