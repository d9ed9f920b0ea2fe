import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { ClosedPeriodsView, ClosedPeriodView, ExportQueryDto, PeriodParamDto, PeriodQueryDto } from './billing-export.dto.js';
import { BillingExportService } from './billing-export.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

const CONTENT_TYPE = { focus: 'text/csv; charset=utf-8', csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8' } as const;

/** Billing files: streamed, byte-reproducible for a closed period; operators close periods. */
@ApiTags('billing')
@ApiBearerAuth()
@Controller('v1/billing')
export class BillingExportController {
  constructor(private readonly exports: BillingExportService) {}

  @Get('export')
  @AnyRole()
  @ApiProduces('text/csv', 'application/json')
  @ApiOkResponse({ description: "the period's charges, streamed (constant memory whatever the size)" })
  @ApiDoc({
    summary: 'Export a billing period (FOCUS)',
    description: "The period's charges as FOCUS 1.x CSV or JSON, streamed. A closed period's file is frozen (its sha256 in the metadata).",
    errors: ['period_out_of_range', 'billing_currency_not_configured'],
  })
  async export(@CurrentPrincipal() p: Principal, @Query() q: ExportQueryDto, @Res() res: Response): Promise<void> {
    const chunks = await this.exports.export(p, q.period, q.format, q.tenantId);
    // The first chunk comes before the headers: a failure to start is still a problem+json answer.
    const first = await chunks.next();
    res.status(200).setHeader('content-type', CONTENT_TYPE[q.format]);
    res.setHeader('content-disposition', `attachment; filename="xenplane-${q.period}-${q.format}.${q.format === 'json' ? 'json' : 'csv'}"`);
    if (!first.done) res.write(first.value);
    try {
      for await (const chunk of chunks) if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      res.end();
    } catch {
      res.destroy(); // a truncated file must not look complete
    }
  }

  @Get('export/metadata')
  @AnyRole()
  @ApiOkResponse({ description: 'FOCUS metadata: FocusVersion, SchemaId, CreationDate, ColumnDefinition[]' })
  @ApiDoc({
    summary: "Get a period's FOCUS metadata",
    description: 'FocusVersion, SchemaId, CreationDate, the column definitions and, for a closed period, its sha256.',
    errors: ['period_out_of_range'],
  })
  metadata(@Query() q: PeriodQueryDto): Promise<Record<string, unknown>> {
    return this.exports.metadata(q.period);
  }

  @Get('periods')
  @Roles('operator')
  @ApiOkResponse({ type: ClosedPeriodsView })
  @ApiDoc({
    summary: 'List closed billing periods',
    description: 'Every closed period with when it was closed and the sha256 of its frozen export.',
  })
  async periods(): Promise<ClosedPeriodsView> {
    return { items: await this.exports.closed() };
  }

  @Post('periods/:period/close')
  @Roles('operator')
  @HttpCode(200)
  @ApiOkResponse({ type: ClosedPeriodView })
  @ApiDoc({
    summary: 'Close a billing period',
    description:
      "Freezes the period's export (its sha256 recorded) once every hour of it is rated: 409 period_not_rated before, 409 period_closed if already closed.",
    errors: ['period_out_of_range', 'period_closed', 'period_not_rated', 'billing_currency_not_configured'],
  })
  close(@Param() params: PeriodParamDto): Promise<ClosedPeriodView> {
    return this.exports.close(params.period);
  }
}
