import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson } from '@xenplane/core';
import { csvLine, csvStream, parseCsv, toCsv, type Cell } from './csv-codec.js';
import { jsonArrayStream } from './usage-export.js';

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const c of chunks) out += c;
  return out;
}

test('quotes only what RFC 4180 requires; NULL is empty, "" is quoted; lines end with LF', () => {
  assert.equal(csvLine(['a', null, '', 'x,y', 'say "hi"', 'two\nlines', 'cr\r']), 'a,,"","x,y","say ""hi""","two\nlines","cr\r"\n');
  assert.equal(csvLine([' padded ']), ' padded \n');
});

test('parse(write(rows)) gives the rows back, nulls and empty strings apart', () => {
  const cell = fc.option(fc.string({ unit: 'grapheme' }), { nil: null });
  fc.assert(
    fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 8 }), (rows) => {
      const header = ['h'];
      const parsed = parseCsv(toCsv(header, rows));
      // A record holding one NULL is an empty line; it still parses back as [null].
      assert.deepEqual(parsed, [header, ...rows]);
    }),
  );
});

test('broken CSV is an error, never data', () => {
  assert.throws(() => parseCsv('a,"open\n'), SyntaxError);
  assert.throws(() => parseCsv('a,b"c\n'), SyntaxError);
  assert.throws(() => parseCsv('"a"b,c\n'), SyntaxError);
  assert.deepEqual(parseCsv('a,b\r\n1,\r\n'), [
    ['a', 'b'],
    ['1', null],
  ]);
  assert.deepEqual(
    parseCsv('a,b\n1,2'),
    [
      ['a', 'b'],
      ['1', '2'],
    ],
    'a missing final newline is tolerated',
  );
});

test('csvStream yields the same bytes as toCsv in bounded chunks, and refuses ragged rows', async () => {
  const rows: Cell[][] = Array.from({ length: 500 }, (_, i) => [String(i), i % 3 === 0 ? null : `v,${i}`]);
  const chunks: string[] = [];
  for await (const c of csvStream(['n', 'v'], rows, 256)) chunks.push(c);
  assert.equal(chunks.join(''), toCsv(['n', 'v'], rows));
  assert.ok(chunks.length > 10 && chunks.every((c) => c.length < 256 + 64));
  await assert.rejects(collect(csvStream(['a', 'b'], [['1']])), RangeError);
});

test('jsonArrayStream writes one sorted-key object per line, and [] when empty', async () => {
  assert.equal(await collect(jsonArrayStream([])), '[]\n');
  const text = await collect(jsonArrayStream([{ b: 1, a: { d: null, c: 'x' } }, { z: true }]));
  assert.equal(text, '[\n{"a":{"c":"x","d":null},"b":1},\n{"z":true}\n]\n');
  assert.deepEqual(JSON.parse(text), [{ a: { c: 'x', d: null }, b: 1 }, { z: true }]);
  assert.throws(() => canonicalJson({ x: Number.NaN }), RangeError);
});
