import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  BillingRepository,
  LATER_SKUS,
  PeriodsRepository,
  SKUS,
  SKU_CATALOG,
  UsageEstimates,
  roundMoney,
  type Sku,
  type UsageScope,
} from '@xenplane/accounting';
import { ConflictError, DomainError, fieldError, NotFoundError, VmRepository } from '@xenplane/core';
import { isOperator, TenantAccessService, type Principal } from '@xenplane/tenancy';
import { shownPeriod } from './period-range.js';
import { BillingCurrencyService } from './billing-currency.service.js';
import { PriceListView, UsageItemView, type InvoicesView, type PutPricesDto, type UsageView, type VmUsageView } from './billing.dto.js';

const MAX_USAGE_WINDOW_MS = 366 * 86_400_000;
// Billing's details read as one sentence (`to must be after from`), not `path: message`.
const invalid = (path: string, message: string) => fieldError(path, message, `${path} ${message}`);

/** Price versions and metered usage; export and period closing live in BillingExportService. */
@Injectable()
export class BillingService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly billing: BillingRepository,
    private readonly periods: PeriodsRepository,
    private readonly access: TenantAccessService,
    private readonly currency: BillingCurrencyService,
    private readonly estimates: UsageEstimates,
    private readonly vms: VmRepository,
  ) {}

  async prices(at?: string): Promise<PriceListView> {
    const when = at ? new Date(at) : new Date();
    const version = await this.billing.priceAt(when);
    if (!version) throw new DomainError('not_found', `no price list was in force at ${when.toISOString()}: that is before the first one`);
    return PriceListView.of(version);
  }

  async putPrices(dto: PutPricesDto): Promise<PriceListView> {
    const skus = new Set(dto.items.map((i) => i.sku));
    const missing = SKUS.filter((s) => !skus.has(s));
    if (skus.size !== dto.items.length || missing.some((s) => !LATER_SKUS.includes(s))) {
      throw invalid('items', `must name every sku exactly once (${SKUS.join(', ')}; ${LATER_SKUS.join(', ')} may be left out)`);
    }
    // `unit` is optional (API.md lists it): when given it must be the sku's pricing unit, so a typo never bills per wrong unit.
    for (const [i, item] of dto.items.entries()) {
      const expected = SKU_CATALOG[item.sku as Sku].pricingUnit;
      if (item.unit !== undefined && item.unit !== expected) throw invalid(`items.${i}.unit`, `must be '${expected}' for ${item.sku}`);
    }
    const currency = this.currency.forPrices(dto.currency);
    const at = dto.effectiveFrom ? new Date(dto.effectiveFrom) : new Date();
    const inForce = missing.length ? await this.billing.priceAt(at) : null;
    const carried = missing.map((sku) => ({ sku, unitPrice: inForce?.items.find((i) => i.sku === sku)?.unitPrice ?? '0' }));
    const r = await this.ds.transaction((tx) => this.billing.addPriceVersion(tx, at, currency, [...dto.items, ...carried]));
    if ('ratedThrough' in r) {
      throw new ConflictError(`hours before ${r.ratedThrough.toISOString()} are already rated; prices apply from a later time`, {
        ratedThrough: r.ratedThrough.toISOString(),
      });
    }
    return PriceListView.of((await this.billing.priceAt(r.effectiveFrom))!);
  }

  async usage(p: Principal, q: { from: string; to: string; tenantId?: string }): Promise<UsageView> {
    const tenantId = isOperator(p) ? q.tenantId : await this.access.resolve(p, q.tenantId);
    return this.usageOf(q, { tenantId });
  }

  /** One VM's usage (its disk included), for its own tenant; another tenant's VM is 404 like a missing one. */
  async vmUsage(p: Principal, vmId: string, q: { from: string; to: string; tenantId?: string }): Promise<VmUsageView> {
    const tenantId = await this.access.resolve(p, q.tenantId);
    if (!(await this.vms.find(tenantId, vmId))) throw new NotFoundError('vm', vmId);
    return { vmId, ...(await this.usageOf(q, { tenantId, resourceId: vmId })) };
  }

  /** Rated hours, then the hours not rated yet as estimates (`estimated: true`): a trial sees its usage at once. */
  private async usageOf(q: { from: string; to: string }, scope: UsageScope): Promise<UsageView> {
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (!(from < to)) throw invalid('to', 'must be after from');
    if (to.getTime() - from.getTime() > MAX_USAGE_WINDOW_MS) throw invalid('to', 'must be at most 366 days after from');
    const now = new Date();
    const through = await this.billing.ratedThrough();
    const [rated, estimated] = await Promise.all([this.billing.usage(from, to, scope), this.estimates.estimate(from, to, through, now, scope)]);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      ratedThrough: through?.toISOString() ?? null,
      // The window's end once it is past, so an answer about the past reads the same every time.
      asOf: new Date(Math.min(now.getTime(), to.getTime())).toISOString(),
      items: [...rated.map((u) => UsageItemView.of(u, false)), ...estimated.map((u) => UsageItemView.of(u, true))],
    };
  }

  /** Per tenant and currency: the period's exact total and the one rounding to money, done only here. */
  async invoices(p: Principal, q: { period: string; tenantId?: string }): Promise<InvoicesView> {
    const bp = await shownPeriod(this.periods, q.period);
    const tenantId = isOperator(p) ? q.tenantId : await this.access.resolve(p, q.tenantId);
    const start = new Date(bp.startMs).toISOString().slice(0, 10);
    await this.currency.assertBillable(start);
    const sums = await this.billing.periodSums(start, tenantId);
    return { period: bp.label, items: sums.map((s) => ({ ...s, total: roundMoney(s.exact, s.currency) })) };
  }
}
