import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { isOperator, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal, OperatorOnly } from '../auth/roles.decorator.js';
import { listFilter } from '../common/list-query.dto.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
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
  async createFlavor(@Body() dto: CreateFlavorDto): Promise<FlavorView> {
    return FlavorView.of(await this.catalog.createFlavor(dto), true);
  }

  @Get('flavors')
  @AnyRole()
  @ApiOperation({ summary: 'List flavors', description: `${SEEN} Deleted ones only with ?status=deleted. Newest first unless ?order=asc.` })
  @ApiOkResponse({ type: PageOf(FlavorView) })
  async listFlavors(@CurrentPrincipal() p: Principal, @Query() q: CatalogListQuery) {
    return mapPage(await this.catalog.list('flavor', viewer(p), q, listFilter(q)), (f) => FlavorView.of(f, isOperator(p)));
  }

  @Get('flavors/:id')
  @AnyRole()
  @ApiOperation({ summary: 'Get a flavor', description: `${SEEN} One a tenant may not see is 404, as if it did not exist.` })
  @ApiOkResponse({ type: FlavorView })
  @ApiNotFoundResponse({ description: 'not_found (also one the tenant may not see)' })
  async getFlavor(@CurrentPrincipal() p: Principal, @Param('id', UuidParamPipe) id: string): Promise<FlavorView> {
    return FlavorView.of(await this.catalog.get('flavor', viewer(p), id), isOperator(p));
  }

  @Patch('flavors/:id')
  @OperatorOnly()
  @ApiOperation({
    summary: 'Rename, deprecate or re-share a flavor',
    description:
      'deprecated: true refuses it to new VMs and resizes (422 flavor_deprecated) and keeps it for existing VMs. A taken name is 409 name_taken.',
  })
  @ApiOkResponse({ type: FlavorView })
  @ApiNotFoundResponse({ description: 'not_found' })
  @ApiConflictResponse({ description: 'name_taken; invalid_state (it is deleted)' })
  async updateFlavor(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdateCatalogItemDto): Promise<FlavorView> {
    return FlavorView.of(await this.catalog.update('flavor', id, dto), true);
  }

  @Delete('flavors/:id')
  @OperatorOnly()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a flavor',
    description: 'Refused with 409 in_use (count and some vmIds) while any VM that is not deleted uses it; deprecate it instead.',
  })
  @ApiNoContentResponse({ description: 'deleted (or already was)' })
  @ApiNotFoundResponse({ description: 'not_found' })
  @ApiConflictResponse({ description: 'in_use, with count and vmIds (the newest ten)' })
  async removeFlavor(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.catalog.remove('flavor', id);
  }

  @Post('images')
  @OperatorOnly()
  @ApiOperation({
    summary: 'Create an image',
    description:
      "Its template must be one the default pool showed at its last sync (422 template_not_found otherwise); before the pool's first sync it is accepted.",
  })
  @ApiCreatedResponse({ type: ImageView })
  @ApiUnprocessableEntityResponse({ description: 'template_not_found, naming the template and the pool' })
  async createImage(@Body() dto: CreateImageDto): Promise<ImageView> {
    return ImageView.of(await this.catalog.createImage(dto), true);
  }

  @Get('images')
  @AnyRole()
  @ApiOperation({ summary: 'List images', description: `${SEEN} Deleted ones only with ?status=deleted. Newest first unless ?order=asc.` })
  @ApiOkResponse({ type: PageOf(ImageView) })
  async listImages(@CurrentPrincipal() p: Principal, @Query() q: CatalogListQuery) {
    return mapPage(await this.catalog.list('image', viewer(p), q, listFilter(q)), (i) => ImageView.of(i, isOperator(p)));
  }

  @Get('images/:id')
  @AnyRole()
  @ApiOperation({ summary: 'Get an image', description: `${SEEN} One a tenant may not see is 404, as if it did not exist.` })
  @ApiOkResponse({ type: ImageView })
  @ApiNotFoundResponse({ description: 'not_found (also one the tenant may not see)' })
  async getImage(@CurrentPrincipal() p: Principal, @Param('id', UuidParamPipe) id: string): Promise<ImageView> {
    return ImageView.of(await this.catalog.get('image', viewer(p), id), isOperator(p));
  }

  @Patch('images/:id')
  @OperatorOnly()
  @ApiOperation({
    summary: 'Rename, deprecate or re-share an image',
    description: 'deprecated: true refuses it to new VMs (422 image_deprecated) and keeps it for existing VMs. A taken name is 409 name_taken.',
  })
  @ApiOkResponse({ type: ImageView })
  @ApiNotFoundResponse({ description: 'not_found' })
  @ApiConflictResponse({ description: 'name_taken; invalid_state (it is deleted)' })
  async updateImage(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdateCatalogItemDto): Promise<ImageView> {
    return ImageView.of(await this.catalog.update('image', id, dto), true);
  }

  @Delete('images/:id')
  @OperatorOnly()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete an image',
    description: 'Refused with 409 in_use (count and some vmIds) while any VM that is not deleted uses it; deprecate it instead.',
  })
  @ApiNoContentResponse({ description: 'deleted (or already was)' })
  @ApiNotFoundResponse({ description: 'not_found' })
  @ApiConflictResponse({ description: 'in_use, with count and vmIds (the newest ten)' })
  async removeImage(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.catalog.remove('image', id);
  }
}
