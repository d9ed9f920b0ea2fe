import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { TenantPageQueryDto, TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateKeypairDto, KeypairView } from './keypair.dto.js';
import { KeypairsService } from './keypairs.service.js';

@ApiTags('keypairs')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/keypairs')
export class KeypairsController {
  constructor(
    private readonly keypairs: KeypairsService,
    private readonly access: TenantAccessService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'register an SSH public key',
    description:
      'The key is validated (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa of 2048 bits or more; anything else is 400 naming ' +
      "the problem at `publicKey`) and fingerprinted as `ssh-keygen -lf` does. Names are unique per tenant (409 name_taken). Counts against the tenant's `keypairs` quota.",
  })
  @ApiCreatedResponse({ type: KeypairView })
  async create(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Body() dto: CreateKeypairDto): Promise<KeypairView> {
    return KeypairView.of(await this.keypairs.create(await this.access.resolve(p, q.tenantId), dto.name, dto.publicKey));
  }

  @Get()
  @ApiOperation({ summary: "the tenant's keypairs", description: 'Oldest first, paginated.' })
  @ApiOkResponse({ type: PageOf(KeypairView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: TenantPageQueryDto) {
    return mapPage(await this.keypairs.list(await this.access.resolve(p, q.tenantId), q), KeypairView.of);
  }

  @Get(':id')
  @ApiOperation({ summary: 'one keypair', description: "Another tenant's keypair is 404, as one that does not exist." })
  @ApiOkResponse({ type: KeypairView })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<KeypairView> {
    return KeypairView.of(await this.keypairs.get(await this.access.resolve(p, q.tenantId), id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'delete a keypair',
    description: 'Gives its quota back. VMs created with it keep the key: their config drives hold a copy.',
  })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.keypairs.remove(await this.access.resolve(p, q.tenantId), id);
  }
}
