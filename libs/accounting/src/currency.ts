/**
 * National currencies (ISO 4217) with their minor units, for BillingCurrency and for rounding invoice totals.
 * The list is the FOCUS validator's `currency_codes.csv` (Feb 2026) minus fund codes (BOV, CHE, CLF, …) and
 * the X-codes that are not national currencies (metals, XDR, XTS, XXX), so every code here passes its
 * CheckNationalCurrency rule.
 */
const ZERO_DECIMALS = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF';
const THREE_DECIMALS = 'BHD IQD JOD KWD LYD OMR TND';
const TWO_DECIMALS =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY ' +
  'COP CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ' +
  'ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN ' +
  'MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL ' +
  'SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD YER ZAR ZMW ZWL';

const MINOR_UNITS: ReadonlyMap<string, number> = new Map([
  ...ZERO_DECIMALS.split(' ').map((c) => [c, 0] as const),
  ...TWO_DECIMALS.split(' ').map((c) => [c, 2] as const),
  ...THREE_DECIMALS.split(' ').map((c) => [c, 3] as const),
]);

export function isNationalCurrency(code: unknown): code is string {
  return typeof code === 'string' && MINOR_UNITS.has(code);
}

/** Decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3): the scale invoice totals round to. */
export function currencyMinorUnits(code: string): number {
  const units = MINOR_UNITS.get(code);
  if (units === undefined) throw new RangeError(`${code} is not a national currency code (ISO 4217)`);
  return units;
}
