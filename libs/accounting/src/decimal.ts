/**
 * Exact decimal arithmetic on BigInt for money and metered quantities. No float ever touches a value, and
 * nothing is rounded unless a caller asks (`roundHalfEven`, `divideHalfEven`); `formatDecimal` refuses to
 * drop digits silently.
 *
 * Rounding is half-to-even (banker's rounding), as accounting.md §3.4 specifies for PricingQuantity: it is
 * unbiased over millions of rows, where half-up drifts upwards on every tie. Beware that PostgreSQL's
 * `round(numeric)` rounds half away from zero: never re-round these values in SQL.
 */

/** An exact decimal number, `units × 10^-scale`. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

export interface ParseDecimalOptions {
  /** Reject values below zero (prices, sizes). */
  nonNegative?: boolean;
  /** Reject more fractional digits than this instead of rounding them away. */
  maxScale?: number;
}

// Plain decimal only: optional "-", digits on both sides of an optional point; no "+", exponent or separators.
const PLAIN = /^(-?)(\d+)(?:\.(\d+))?$/;
// Bounds BigInt work on hostile input; numeric(38, s) values need far fewer characters.
const MAX_TEXT_LENGTH = 80;
const MAX_PLACES = 60;

const POW10: bigint[] = [1n];

/** 10^n as a BigInt (cached). */
export function pow10(n: number): bigint {
  checkPlaces(n);
  while (POW10.length <= n) POW10.push(POW10[POW10.length - 1] * 10n);
  return POW10[n];
}

function checkPlaces(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_PLACES) throw new RangeError(`scale ${n} must be an integer from 0 to ${MAX_PLACES}`);
}

/** True when `text` is a plain decimal that `parseDecimal` accepts (ignoring options). */
export function isPlainDecimal(text: unknown): text is string {
  return typeof text === 'string' && text.length <= MAX_TEXT_LENGTH && PLAIN.test(text);
}

/** Parses `-12.340`-style text exactly; NaN, Infinity, exponents, `+`, `.5`, `1.` and spaces are refused. */
export function parseDecimal(text: string, options: ParseDecimalOptions = {}): Decimal {
  if (!isPlainDecimal(text)) throw new RangeError(`${JSON.stringify(String(text).slice(0, 40))} is not a plain decimal`);
  const m = PLAIN.exec(text)!;
  const frac = m[3] ?? '';
  if (options.maxScale !== undefined && frac.length > options.maxScale) {
    throw new RangeError(`${text} has more than ${options.maxScale} decimal places`);
  }
  if (frac.length > MAX_PLACES) throw new RangeError(`${text} has too many decimal places`);
  const magnitude = BigInt(m[2] + frac);
  const units = m[1] ? -magnitude : magnitude;
  if (options.nonNegative && units < 0n) throw new RangeError(`${text} is negative`);
  return { units, scale: frac.length };
}

/** An integer as a Decimal; a non-integer or unsafe number is refused rather than approximated. */
export function decimalFromInteger(n: number | bigint): Decimal {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) throw new RangeError(`${n} is not a safe integer`);
  return { units: BigInt(n), scale: 0 };
}

function unitsAt(d: Decimal, scale: number): bigint {
  return d.units * pow10(scale - d.scale);
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: unitsAt(a, scale) + unitsAt(b, scale), scale };
}

export function subtractDecimals(a: Decimal, b: Decimal): Decimal {
  return addDecimals(a, negateDecimal(b));
}

export function negateDecimal(a: Decimal): Decimal {
  return { units: -a.units, scale: a.scale };
}

/** Exact product: the scales add, so nothing is lost. */
export function multiplyDecimals(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

export function sumDecimals(values: Iterable<Decimal>): Decimal {
  let total: Decimal = { units: 0n, scale: 0 };
  for (const v of values) total = addDecimals(total, v);
  return total;
}

export function compareDecimals(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  const x = unitsAt(a, scale);
  const y = unitsAt(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZeroDecimal(a: Decimal): boolean {
  return a.units === 0n;
}

/** `n / d` rounded half to even; `d` must be positive. */
export function divideIntegersHalfEven(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const negative = n < 0n;
  const a = negative ? -n : n;
  let q = a / d;
  const twiceRemainder = (a % d) * 2n;
  if (twiceRemainder > d || (twiceRemainder === d && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

/** Rounds half to even to `places` decimal places; values already that short are only rescaled. */
export function roundHalfEven(d: Decimal, places: number): Decimal {
  checkPlaces(places);
  if (d.scale <= places) return { units: unitsAt(d, places), scale: places };
  return { units: divideIntegersHalfEven(d.units, pow10(d.scale - places)), scale: places };
}

/** `d / divisor` rounded half to even to `places` places (e.g. seconds → hours: divisor 3600). */
export function divideHalfEven(d: Decimal, divisor: bigint, places: number): Decimal {
  checkPlaces(places);
  return { units: divideIntegersHalfEven(d.units * pow10(places), divisor * pow10(d.scale)), scale: places };
}

/** Drops trailing fractional zeros, so equal values get equal representations. */
export function normalizeDecimal(d: Decimal): Decimal {
  let { units, scale } = d;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

/**
 * Fixed-point text with exactly `scale` fractional digits (`-0.50`, never `-0` or an exponent). Throws
 * rather than drop a non-zero digit: round first, where rounding is meant.
 */
export function formatDecimal(d: Decimal, scale: number): string {
  checkPlaces(scale);
  let units = d.units;
  if (d.scale > scale) {
    const factor = pow10(d.scale - scale);
    if (units % factor !== 0n) throw new RangeError(`formatting at scale ${scale} would drop digits; round first`);
    units /= factor;
  } else {
    units *= pow10(scale - d.scale);
  }
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const cut = digits.length - scale;
  return `${negative ? '-' : ''}${digits.slice(0, cut)}${scale > 0 ? `.${digits.slice(cut)}` : ''}`;
}

/** The shortest exact text of a value (`2`, `0.5`): one text per value, whatever scale it came with. */
export function canonicalDecimal(d: Decimal): string {
  const n = normalizeDecimal(d);
  return formatDecimal(n, n.scale);
}

/** Re-formats decimal text at a fixed scale, exactly (throws if digits would be lost). */
export function toFixedScale(text: string, scale: number): string {
  return formatDecimal(parseDecimal(text), scale);
}
