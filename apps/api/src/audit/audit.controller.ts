import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@xenplane/tenancy';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { AuditEntryView, AuditQueryDto } from './audit.dto.js';
import { AuditService } from './audit.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

/** Operators read every tenant's audit log (`?tenantId=` narrows it); tenant admins their own; members none. */
@ApiTags('audit')
@ApiBearerAuth()
@Roles('operator', 'admin')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOkResponse({ type: PageOf(AuditEntryView), description: 'newest first (?order=asc: oldest first); follow nextCursor for the next page' })
  @ApiDoc({
    summary: 'List the audit log',
    description:
      "Every state-changing request made with a valid key, newest first (?order=asc: oldest first): who (key, role), what (method, route, resource), when and the answer's status and code. Operators see every tenant's (or one's with tenantId); tenant admins their own tenant's. Filters: since (inclusive), until (exclusive), actor, route.",
  })
  async list(@CurrentPrincipal() p: Principal, @Query() q: AuditQueryDto) {
    const at = (v?: string) => (v === undefined ? undefined : new Date(v));
    return mapPage(
      await this.audit.list(p, q.tenantId, q, { since: at(q.since), until: at(q.until), actor: q.actor, route: q.route }),
      AuditEntryView.of,
    );
  }
}
