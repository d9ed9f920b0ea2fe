import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DomainError, fieldError } from '@xenplane/core';
import { isOperator, TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal, OperatorOnly } from '../auth/roles.decorator.js';
import { listFilter } from '../common/list-query.dto.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { CatalogService } from './catalog.service.js';
import {
  CatalogListQuery,
  CreateFlavorDto,
  CreateImageDto,
  FlavorView,
  ImageListQuery,
  ImageView,
  UpdateCatalogItemDto,
  UpdateFlavorDto,
} from './catalog.dto.js';
import { answerWith } from '../common/answer-status.js';
import { withOperationLocation } from '../common/accepted.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import { ImageAcceptedView } from '../images/image.dto.js';
import { ImagesService } from '../images/images.service.js';
import { OperationView } from '../vms/vm.dto.js';

const viewer = (p: Principal) => (isOperator(p) ? null : p.tenantId);
const SEEN = 'Tenants see the public ones, those shared with their tenant and their own (private); operators see all.';

/** Operators define flavors and images; every key may read those it may use, to pick what to create. */
@ApiTags('catalog')
@ApiBearerAuth()
@Controller('v1')
export class CatalogController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly own: ImagesService,
    private readonly access: TenantAccessService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post('flavors')
  @OperatorOnly()
  @ApiCreatedResponse({ type: FlavorView })
  @ApiDoc({
    summary: 'Create a flavor',
    description:
      'A size VMs are created with: vCPUs, memory and boot disk. VMs copy it when they are created, so a later change never resizes a VM silently.',
    errors: ['name_taken'],
  })
  async createFlavor(@Body() dto: CreateFlavorDto): Promise<FlavorView> {
    return FlavorView.of(await this.catalog.createFlavor(dto), true);
  }

  @Get('flavors')
  @AnyRole()
  @ApiDoc({ summary: 'List flavors', description: `${SEEN} Deleted ones only with ?status=deleted. Newest first unless ?order=asc.` })
  @ApiOkResponse({ type: PageOf(FlavorView) })
  async listFlavors(@CurrentPrincipal() p: Principal, @Query() q: CatalogListQuery) {
    return mapPage(await this.catalog.list('flavor', viewer(p), q, listFilter(q)), (f) => FlavorView.of(f, isOperator(p)));
  }

  @Get('flavors/:id')
  @AnyRole()
  @ApiDoc({ summary: 'Get a flavor', description: `${SEEN} One a tenant may not see is 404, as if it did not exist.` })
  @ApiOkResponse({ type: FlavorView })
  async getFlavor(@CurrentPrincipal() p: Principal, @Param('id', UuidParamPipe) id: string): Promise<FlavorView> {
    return FlavorView.of(await this.catalog.get('flavor', viewer(p), id), isOperator(p));
  }

  @Patch('flavors/:id')
  @OperatorOnly()
  @ApiDoc({
    summary: 'Rename, deprecate, re-share a flavor or change its restart default',
    description:
      'deprecated: true refuses it to new VMs and resizes (422 flavor_deprecated) and keeps it for existing VMs. A taken name is 409 name_taken. ' +
      'restartOnHostFailure is the restart VMs created from it take from now on; existing VMs keep their own (PATCH /v1/vms/:id {restart}).',
    errors: ['name_taken', 'invalid_state'],
  })
  @ApiOkResponse({ type: FlavorView })
  async updateFlavor(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdateFlavorDto): Promise<FlavorView> {
    return FlavorView.of(await this.catalog.update('flavor', id, dto), true);
  }

  @Delete('flavors/:id')
  @OperatorOnly()
  @HttpCode(204)
  @ApiDoc({
    summary: 'Delete a flavor',
    description:
      'Refused with 409 in_use (usedBy.vms, and count and vmIds: the newest ten) while any VM that is not deleted uses it; deprecate it instead.',
    errors: ['in_use'],
  })
  @ApiNoContentResponse({ description: 'deleted (or already was)' })
  async removeFlavor(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.catalog.remove('flavor', id);
  }

  @Post('images')
  @AnyRole()
  @ApiDoc({
    summary: 'Create an image',
    description:
      "An operator's: a XAPI template (name_label or uuid) VMs are cloned from, public unless shared with named tenants. It must be one the default pool showed at its last sync (422 template_not_found otherwise); before the pool's first sync it is accepted. " +
      "A tenant's (or an operator's with ?tenantId=): a private image, queued until its disk is uploaded (PUT /v1/images/:id/file); other tenants never see it. Names are unique per owner.",
    errors: ['name_taken', 'template_not_found'],
  })
  @ApiCreatedResponse({ type: ImageView })
  async createImage(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Body() dto: CreateImageDto): Promise<ImageView> {
    if (isOperator(p) && !q.tenantId) return ImageView.of(await this.catalog.createImage(dto), true);
    const tenantId = await this.access.resolve(p, q.tenantId);
    if (dto.visibility !== undefined || dto.tenantIds !== undefined) throw fieldError('visibility', "a tenant's own image is private");
    const template = dto.template ?? this.config.IMAGE_BASE_TEMPLATE;
    await this.catalog.assertTemplate(template);
    return ImageView.of(await this.own.create(tenantId, { name: dto.name, template, configDrive: dto.configDrive }), isOperator(p));
  }

  @Get('images')
  @AnyRole()
  @ApiDoc({ summary: 'List images', description: `${SEEN} Deleted ones only with ?status=deleted. Newest first unless ?order=asc.` })
  @ApiOkResponse({ type: PageOf(ImageView) })
  async listImages(@CurrentPrincipal() p: Principal, @Query() q: ImageListQuery) {
    return mapPage(await this.catalog.list('image', viewer(p), q, listFilter(q)), (i) => ImageView.of(i, isOperator(p)));
  }

  @Get('images/:id')
  @AnyRole()
  @ApiDoc({ summary: 'Get an image', description: `${SEEN} One a tenant may not see is 404, as if it did not exist.` })
  @ApiOkResponse({ type: ImageView })
  async getImage(@CurrentPrincipal() p: Principal, @Param('id', UuidParamPipe) id: string): Promise<ImageView> {
    return ImageView.of(await this.catalog.get('image', viewer(p), id), isOperator(p));
  }

  @Patch('images/:id')
  @OperatorOnly()
  @ApiDoc({
    summary: 'Rename, deprecate or re-share an image',
    description: 'deprecated: true refuses it to new VMs (422 image_deprecated) and keeps it for existing VMs. A taken name is 409 name_taken.',
    errors: ['name_taken', 'invalid_state'],
  })
  @ApiOkResponse({ type: ImageView })
  async updateImage(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdateCatalogItemDto): Promise<ImageView> {
    return ImageView.of(await this.catalog.update('image', id, dto), true);
  }

  @Delete('images/:id')
  @AnyRole()
  @HttpCode(204)
  @ApiDoc({
    summary: 'Delete an image',
    description:
      'Refused with 409 in_use (usedBy.vms, and count and vmIds: the newest ten) while any VM that is not deleted uses it; deprecate it instead. ' +
      "Operators delete any image; a tenant deletes its own (others' are 404). An image whose disk is on the pool answers 202 with the operation that removes the disk and gives its imageGiB back; one without a disk, 204.",
    errors: ['in_use', 'invalid_state', 'operation_in_progress'],
  })
  @ApiNoContentResponse({ description: 'deleted (or already was)' })
  @ApiAcceptedResponse({ type: ImageAcceptedView, description: "a tenant's image: its disk is being removed" })
  async removeImage(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImageAcceptedView | undefined> {
    if (isOperator(p) && !q.tenantId) {
      const owner = await this.catalog.ownerOf(id);
      if (owner === null) return void (await this.catalog.remove('image', id));
    }
    const tenantId = isOperator(p) && !q.tenantId ? (await this.catalog.ownerOf(id))! : await this.access.resolve(p, q.tenantId);
    // An operator's image a tenant can see is the operators' to delete; one it cannot see does not exist for it.
    const seen = await this.catalog.get('image', tenantId, id).catch(() => null);
    if (seen && seen.tenantId === null) throw new DomainError('forbidden', "operators' images are deleted by operators");
    const r = await this.own.remove(tenantId, id, meta);
    if (!r) return undefined;
    answerWith(res, 202);
    return withOperationLocation(res, r.operation, { image: ImageView.of(r.image, isOperator(p)), operation: OperationView.of(r.operation) });
  }
}
