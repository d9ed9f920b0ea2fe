import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PeriodsRepository, BillingRepository, focusMetadata, parseBillingPeriod, type ClosedPeriod, type ExportFormat } from '@xenplane/accounting';
import { outOfRangeError, shownPeriod } from './period-range.js';
import { ConflictError } from '@xenplane/core';
import { isOperator, TenantAccessService, type Principal } from '@xenplane/tenancy';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import type { ClosedPeriodView } from './billing-export.dto.js';
import { BillingCurrencyService } from './billing-currency.service.js';

const view = (c: ClosedPeriod): ClosedPeriodView => ({ period: c.period, closedAt: new Date(c.closedAt).toISOString(), sha256: c.sha256 });

/** Period files (streamed, byte-stable), their FOCUS metadata, and closing periods. */
@Injectable()
export class BillingExportService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly periods: PeriodsRepository,
    private readonly billing: BillingRepository,
    private readonly access: TenantAccessService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly currency: BillingCurrencyService,
  ) {}

  private get provider() {
    return { name: this.config.BILLING_PROVIDER_NAME };
  }

  /** The chunks of a period's file, for the caller's tenant (operators: all, or the one named). */
  async export(p: Principal, period: string, format: ExportFormat, tenantId?: string): Promise<AsyncGenerator<string>> {
    const tenant = isOperator(p) ? tenantId : await this.access.resolve(p, tenantId);
    const bp = await shownPeriod(this.periods, period);
    await this.currency.assertBillable(new Date(bp.startMs).toISOString().slice(0, 10));
    return this.periods.stream(bp, format, this.provider, tenant);
  }

  /** FOCUS metadata; CreationDate is the close time for a closed period (so it is byte-stable), else the rating watermark. */
  async metadata(period: string): Promise<Record<string, unknown>> {
    const bp = await shownPeriod(this.periods, period);
    const [closed] = await this.periods.closed(bp);
    const through = closed ? new Date(closed.closedAt) : await this.billing.ratedThrough();
    return {
      // FOCUS date/times are whole seconds.
      ...focusMetadata({ creationDateMs: Math.floor((through ?? new Date(bp.startMs)).getTime() / 1000) * 1000, dataGenerator: this.provider.name }),
      x_BillingPeriod: bp.label,
      x_Closed: closed !== undefined,
      x_Sha256: closed?.sha256 ?? null,
    };
  }

  /** One REPEATABLE READ transaction: the file hashed is the file frozen. */
  async close(period: string): Promise<ClosedPeriodView> {
    await this.currency.assertBillable(new Date(parseBillingPeriod(period).startMs).toISOString().slice(0, 10));
    const r = await this.ds.transaction('REPEATABLE READ', (tx) => this.periods.close(tx, parseBillingPeriod(period), this.provider));
    if (!('refused' in r)) return view(r);
    if (r.refused === 'out_of_range') throw outOfRangeError(r.reason, r.bounds);
    if (r.refused === 'already_closed')
      throw new ConflictError(`period ${period} was closed at ${new Date(r.closed.closedAt).toISOString()}`, { sha256: r.closed.sha256 });
    throw new ConflictError(`period ${period} still has hours that are not rated (rated through ${r.ratedThrough?.toISOString() ?? 'nothing yet'})`, {
      ratedThrough: r.ratedThrough?.toISOString() ?? null,
    });
  }

  async closed(): Promise<ClosedPeriodView[]> {
    return (await this.periods.closed()).map(view);
  }
}
