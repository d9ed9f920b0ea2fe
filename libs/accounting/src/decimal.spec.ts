import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addDecimals,
  canonicalDecimal,
  compareDecimals,
  divideHalfEven,
  divideIntegersHalfEven,
  formatDecimal,
  multiplyDecimals,
  parseDecimal,
  pow10,
  roundHalfEven,
  subtractDecimals,
  sumDecimals,
  toFixedScale,
} from './decimal.js';

const arbDecimalText = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 14 }))
  .map(([neg, units, scale]) => formatDecimal({ units: neg ? -units : units, scale }, scale));

test('parses plain decimals exactly and formats them back at a fixed scale', () => {
  assert.deepEqual(parseDecimal('0.0125'), { units: 125n, scale: 4 });
  assert.deepEqual(parseDecimal('-12.340'), { units: -12340n, scale: 3 });
  assert.equal(formatDecimal(parseDecimal('0.0125'), 6), '0.012500');
  assert.equal(formatDecimal(parseDecimal('-0.5'), 2), '-0.50');
  assert.equal(formatDecimal(parseDecimal('-0.000'), 2), '0.00', 'no negative zero');
  assert.equal(formatDecimal(parseDecimal('7'), 0), '7');
  assert.equal(toFixedScale('3600', 10), '3600.0000000000');
  assert.equal(canonicalDecimal(parseDecimal('2.500')), '2.5');
  assert.equal(canonicalDecimal(parseDecimal('-0.0')), '0');
});

test('NaN, Infinity, exponents, signs, separators and half-written numbers are refused', () => {
  for (const bad of [
    '',
    ' 1',
    '1 ',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e5',
    '1E-2',
    '+1',
    '1,5',
    '1_000',
    '.5',
    '1.',
    '--1',
    '0x10',
    '١',
    '1.2.3',
    '9'.repeat(81),
  ]) {
    assert.throws(() => parseDecimal(bad), RangeError, JSON.stringify(bad));
  }
  assert.throws(() => parseDecimal(1 as unknown as string), RangeError);
  assert.throws(() => parseDecimal('-1', { nonNegative: true }), RangeError);
  assert.throws(() => parseDecimal('0.0000001', { maxScale: 6 }), RangeError);
  assert.doesNotThrow(() => parseDecimal('-0', { nonNegative: true }));
});

test('formatting never drops digits silently: round first', () => {
  assert.throws(() => formatDecimal(parseDecimal('0.0125'), 2), RangeError);
  assert.equal(formatDecimal(parseDecimal('0.0100'), 2), '0.01');
});

test('round half to even at the tie, ordinary rounding elsewhere, both signs', () => {
  const cases: [string, number, string][] = [
    ['0.125', 2, '0.12'],
    ['0.135', 2, '0.14'],
    ['0.1251', 2, '0.13'],
    ['2.5', 0, '2'],
    ['3.5', 0, '4'],
    ['-2.5', 0, '-2'],
    ['-3.5', 0, '-4'],
    ['-0.126', 2, '-0.13'],
    ['1.999999', 5, '2.00000'],
    ['0.4', 0, '0'],
    ['7', 3, '7.000'],
  ];
  for (const [value, places, expected] of cases) assert.equal(formatDecimal(roundHalfEven(parseDecimal(value), places), places), expected, value);
  assert.equal(divideIntegersHalfEven(-7n, 2n), -4n);
  assert.throws(() => divideIntegersHalfEven(1n, 0n), RangeError);
});

test('seconds to hours: exact where finite, half-even at 6 places otherwise', () => {
  const hours = (s: string): string => formatDecimal(divideHalfEven(parseDecimal(s), 3600n, 6), 6);
  assert.equal(hours('3600'), '1.000000');
  assert.equal(hours('1'), '0.000278');
  assert.equal(hours('1800'), '0.500000');
  assert.equal(hours('0.0018'), '0.000000', 'tie 0.0000005 goes to the even 0');
  assert.equal(hours('0.0054'), '0.000002', 'tie 0.0000015 goes to the even 2');
  assert.equal(hours('-1'), '-0.000278');
});

test('arithmetic is exact: add/subtract invert, multiply commutes, sums ignore order', () => {
  fc.assert(
    fc.property(arbDecimalText, arbDecimalText, arbDecimalText, (x, y, z) => {
      const [a, b, c] = [x, y, z].map((t) => parseDecimal(t)) as [
        ReturnType<typeof parseDecimal>,
        ReturnType<typeof parseDecimal>,
        ReturnType<typeof parseDecimal>,
      ];
      assert.equal(compareDecimals(subtractDecimals(addDecimals(a, b), b), a), 0);
      assert.equal(compareDecimals(multiplyDecimals(a, b), multiplyDecimals(b, a)), 0);
      assert.equal(compareDecimals(sumDecimals([a, b, c]), sumDecimals([c, a, b])), 0);
      assert.equal(canonicalDecimal(parseDecimal(formatDecimal(a, a.scale + 3))), canonicalDecimal(a));
    }),
  );
});

test('roundHalfEven is within half a unit, and exactly on a tie it picks the even neighbour', () => {
  fc.assert(
    fc.property(arbDecimalText, fc.integer({ min: 0, max: 8 }), (text, places) => {
      const d = parseDecimal(text);
      const r = roundHalfEven(d, places);
      if (d.scale <= places) return compareDecimals(r, d) === 0;
      const step = pow10(d.scale - places);
      const diff = d.units - r.units * step;
      const twice = 2n * (diff < 0n ? -diff : diff);
      return twice < step || (twice === step && r.units % 2n === 0n);
    }),
  );
});
