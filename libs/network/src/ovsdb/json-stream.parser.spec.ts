import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonFramingError, JsonStreamParser } from './json-stream.parser.js';

const msgs = [
  { id: 1, result: ['Open_vSwitch', '_Server'], error: null },
  { id: null, method: 'update2', params: ['m', { Interface: { u: { modify: { ofport: 4 } } } }] },
  { id: 'echo', method: 'echo', params: [] },
];
const wire = Buffer.from(msgs.map((m) => JSON.stringify(m)).join(''));

test('several messages in one chunk come out in order', () => {
  assert.deepEqual(new JsonStreamParser().push(wire), msgs);
});

test('a stream split at every possible byte boundary yields the same messages', () => {
  for (let cut = 1; cut < wire.length; cut++) {
    const p = new JsonStreamParser();
    const out = [...p.push(wire.subarray(0, cut)), ...p.push(wire.subarray(cut))];
    assert.deepEqual(out, msgs, `cut at ${cut}`);
    assert.equal(p.pending, false);
  }
});

test('one byte at a time', () => {
  const p = new JsonStreamParser();
  const out: unknown[] = [];
  for (const b of wire) out.push(...p.push(Buffer.from([b])));
  assert.deepEqual(out, msgs);
});

test('braces, brackets, quotes and escapes inside strings do not end a message', () => {
  const tricky = [
    { s: '}{][', t: 'a "quoted" }', u: 'back\\slash\\', v: '\\"}' },
    { details: '"where" clause test failed', n: ['{', '}'] },
    { x: '\\\\"{"' },
  ];
  const buf = Buffer.from(tricky.map((m) => JSON.stringify(m)).join(''));
  for (let cut = 1; cut < buf.length; cut++) {
    const p = new JsonStreamParser();
    assert.deepEqual([...p.push(buf.subarray(0, cut)), ...p.push(buf.subarray(cut))], tricky, `cut at ${cut}`);
  }
});

test('multi-byte UTF-8 split inside a character is decoded intact', () => {
  const m = { name: 'brücke-€-🦀-网桥', ids: ['ü'] };
  const buf = Buffer.from(JSON.stringify(m) + JSON.stringify(m));
  const euro = buf.indexOf(Buffer.from('€'));
  const crab = buf.indexOf(Buffer.from('🦀'));
  for (const cut of [euro + 1, euro + 2, crab + 1, crab + 2, crab + 3]) {
    const p = new JsonStreamParser();
    assert.deepEqual([...p.push(buf.subarray(0, cut)), ...p.push(buf.subarray(cut))], [m, m]);
  }
});

test('whitespace and newlines between messages are ignored; arrays are accepted', () => {
  const p = new JsonStreamParser();
  assert.deepEqual(p.push(' {"a":1}\n\r\t [1,2] '), [{ a: 1 }, [1, 2]]);
});

test('junk between messages and invalid JSON are framing errors', () => {
  assert.throws(() => new JsonStreamParser().push('{"a":1}x'), JsonFramingError);
  assert.throws(() => new JsonStreamParser().push('{"a":tru}'), JsonFramingError);
});

test('an oversized message is refused', () => {
  const p = new JsonStreamParser(16);
  assert.throws(() => p.push('{"a":"0123456789012345678901234567890"'), /exceeds 16 bytes/);
});

test('a large message split over many chunks is reassembled', () => {
  const big = { rows: Array.from({ length: 2000 }, (_, i) => ({ name: `vif${i}.0`, ids: ['map', [['k', '{"}']]] })) };
  const buf = Buffer.from(JSON.stringify(big));
  const p = new JsonStreamParser();
  const out: unknown[] = [];
  for (let i = 0; i < buf.length; i += 777) out.push(...p.push(buf.subarray(i, i + 777)));
  assert.deepEqual(out, [big]);
});
