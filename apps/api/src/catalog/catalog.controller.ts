import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AnyRole, OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { PageQueryDto } from '../common/query.dto.js';
import { CatalogService } from './catalog.service.js';
import { CreateFlavorDto, CreateImageDto, FlavorView, ImageView } from './catalog.dto.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

/** Operators define flavors and images; every key may read them to pick what to create. */
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
    return FlavorView.of(await this.catalog.createFlavor(dto));
  }

  @Get('flavors')
  @AnyRole()
  @ApiOkResponse({ type: PageOf(FlavorView) })
  @ApiDoc({
    summary: 'List flavors',
    description: 'Every flavor, a page at a time; any key may read them.',
  })
  async listFlavors(@Query() q: PageQueryDto) {
    return mapPage(await this.catalog.listFlavors(q), FlavorView.of);
  }

  @Post('images')
  @OperatorOnly()
  @ApiCreatedResponse({ type: ImageView })
  @ApiDoc({
    summary: 'Create an image',
    description: "A XAPI template (name_label or uuid) VMs are cloned from; the pool's template is looked up when a VM is created.",
    errors: ['name_taken'],
  })
  async createImage(@Body() dto: CreateImageDto): Promise<ImageView> {
    return ImageView.of(await this.catalog.createImage(dto));
  }

  @Get('images')
  @AnyRole()
  @ApiOkResponse({ type: PageOf(ImageView) })
  @ApiDoc({
    summary: 'List images',
    description: 'Every image, a page at a time; any key may read them.',
  })
  async listImages(@Query() q: PageQueryDto) {
    return mapPage(await this.catalog.listImages(q), ImageView.of);
  }
}
