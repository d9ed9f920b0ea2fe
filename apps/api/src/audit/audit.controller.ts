import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@xenplane/tenancy';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { AuditEntryView, AuditQueryDto } from './audit.dto.js';
import { AuditService } from './audit.service.js';

/** Operators read every tenant's audit log (`?tenantId=` narrows it); tenant admins their own; members none. */
@ApiTags('audit')
@ApiBearerAuth()
@Roles('operator', 'admin')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Read the audit log',
    description: 'Newest first (?order=asc: oldest first); follow nextCursor for the next page. since is inclusive, until exclusive.',
  })
  @ApiOkResponse({ type: PageOf(AuditEntryView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: AuditQueryDto) {
    const at = (v?: string) => (v === undefined ? undefined : new Date(v));
    return mapPage(
      await this.audit.list(p, q.tenantId, q, { since: at(q.since), until: at(q.until), actor: q.actor, route: q.route }),
      AuditEntryView.of,
    );
  }
}
