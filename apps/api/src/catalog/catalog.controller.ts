import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { isOperator, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal, OperatorOnly } from '../auth/roles.decorator.js';
import { listFilter } from '../common/list-query.dto.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { CatalogService } from './catalog.service.js';
import { CatalogListQuery, CreateFlavorDto, CreateImageDto, FlavorView, ImageView, UpdateCatalogItemDto } from './catalog.dto.js';

const viewer = (p: Principal) => (isOperator(p) ? null : p.tenantId);
const SEEN = 'Tenants see the public ones and those shared with their tenant; operators see all.';

/** Operators define flavors and images; every key may read those it may use, to pick what to create. */
@ApiTags('catalog')
@ApiBearerAuth()
@Controller('v1')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

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
    summary: 'Rename, deprecate or re-share a flavor',
    description:
      'deprecated: true refuses it to new VMs and resizes (422 flavor_deprecated) and keeps it for existing VMs. A taken name is 409 name_taken.',
    errors: ['name_taken', 'invalid_state'],
  })
  @ApiOkResponse({ type: FlavorView })
  async updateFlavor(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdateCatalogItemDto): Promise<FlavorView> {
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
  @OperatorOnly()
  @ApiDoc({
    summary: 'Create an image',
    description:
      "A XAPI template (name_label or uuid) VMs are cloned from. It must be one the default pool showed at its last sync (422 template_not_found otherwise); before the pool's first sync it is accepted.",
    errors: ['name_taken', 'template_not_found'],
  })
  @ApiCreatedResponse({ type: ImageView })
  async createImage(@Body() dto: CreateImageDto): Promise<ImageView> {
    return ImageView.of(await this.catalog.createImage(dto), true);
  }

  @Get('images')
  @AnyRole()
  @ApiDoc({ summary: 'List images', description: `${SEEN} Deleted ones only with ?status=deleted. Newest first unless ?order=asc.` })
  @ApiOkResponse({ type: PageOf(ImageView) })
  async listImages(@CurrentPrincipal() p: Principal, @Query() q: CatalogListQuery) {
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
  @OperatorOnly()
  @HttpCode(204)
  @ApiDoc({
    summary: 'Delete an image',
    description:
      'Refused with 409 in_use (usedBy.vms, and count and vmIds: the newest ten) while any VM that is not deleted uses it; deprecate it instead.',
    errors: ['in_use'],
  })
  @ApiNoContentResponse({ description: 'deleted (or already was)' })
  async removeImage(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.catalog.remove('image', id);
  }
}
