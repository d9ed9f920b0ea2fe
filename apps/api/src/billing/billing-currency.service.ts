import { Inject, Injectable } from '@nestjs/common';
import { BillingRepository } from '@xenplane/accounting';
import { DomainError, fieldError } from '@xenplane/core';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';

const NOT_CONFIGURED = 'BILLING_CURRENCY is not configured: set it (an ISO 4217 code such as EUR) and restart the API';

/** The one currency everything is billed in: BILLING_CURRENCY, never a silent default. */
@Injectable()
export class BillingCurrencyService {
  constructor(
    private readonly billing: BillingRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * At start-up: zero-priced usage takes the configured currency. Fails (the API does not start) when prices exist
   * but BILLING_CURRENCY is unset, or names another currency than theirs: switching needs a migration of its own.
   */
  async adopt(): Promise<void> {
    const configured = this.config.BILLING_CURRENCY;
    const priced = await this.billing.adoptCurrency(configured);
    if (priced.length && !configured) throw new Error(`BILLING_CURRENCY is required: prices are set in ${priced.join(', ')}`);
    const other = priced.filter((c) => c !== configured);
    if (other.length) throw new Error(`BILLING_CURRENCY is ${configured} but prices are set in ${other.join(', ')}: all prices share one currency`);
  }

  /** The currency new prices are in; a body naming another is refused, and so is pricing before one is configured. */
  forPrices(given: string | undefined): string {
    const configured = this.config.BILLING_CURRENCY;
    if (!configured) throw new DomainError('billing_currency_not_configured', NOT_CONFIGURED);
    if (given !== undefined && given !== configured)
      throw fieldError('currency', `must be ${configured} (BILLING_CURRENCY)`, `currency must be ${configured}, the configured BILLING_CURRENCY`);
    return configured;
  }

  /** A period with usage rated before any currency was configured cannot be billed (exported, invoiced, closed) yet. */
  async assertBillable(periodStart: string): Promise<void> {
    if (await this.billing.currencyMissing(periodStart)) throw new DomainError('billing_currency_not_configured', NOT_CONFIGURED);
  }
}
