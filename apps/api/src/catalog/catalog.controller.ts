import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AnyRole, OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { PageQueryDto } from '../common/query.dto.js';
import { CatalogService } from './catalog.service.js';
import { CreateFlavorDto, CreateImageDto, FlavorView, ImageView } from './catalog.dto.js';

/** Operators define flavors and images; every key may read them to pick what to create. */
@ApiTags('catalog')
@ApiBearerAuth()
@Controller('v1')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Post('flavors')
  @OperatorOnly()
  @ApiCreatedResponse({ type: FlavorView })
  async createFlavor(@Body() dto: CreateFlavorDto): Promise<FlavorView> {
    return FlavorView.of(await this.catalog.createFlavor(dto));
  }

  @Get('flavors')
  @AnyRole()
  @ApiOkResponse({ type: PageOf(FlavorView) })
  async listFlavors(@Query() q: PageQueryDto) {
    return mapPage(await this.catalog.listFlavors(q), FlavorView.of);
  }

  @Post('images')
  @OperatorOnly()
  @ApiCreatedResponse({ type: ImageView })
  async createImage(@Body() dto: CreateImageDto): Promise<ImageView> {
    return ImageView.of(await this.catalog.createImage(dto));
  }

  @Get('images')
  @AnyRole()
  @ApiOkResponse({ type: PageOf(ImageView) })
  async listImages(@Query() q: PageQueryDto) {
    return mapPage(await this.catalog.listImages(q), ImageView.of);
  }
}
