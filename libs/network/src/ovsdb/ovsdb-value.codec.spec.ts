import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asOptional, asSet, asStringMap, decodeValue, encodeValue, NamedUuid, Uuid } from './ovsdb-value.codec.js';
import { decodeResults, encodeOperation, OvsdbTransactionError } from './ovsdb-operation.types.js';
import { op, waitRowUnchanged } from './ovsdb-operation.builder.js';
import { OvsdbTableCache } from './ovsdb-table.cache.js';
import { backoffDelay } from './reconnect-backoff.policy.js';
import type { OvsdbSchema } from './ovsdb-schema.types.js';

test('atoms, sets, maps and uuids round-trip', () => {
  const wire = [
    'x',
    4,
    true,
    ['uuid', 'a-b'],
    ['named-uuid', 'iface'],
    ['set', []],
    ['set', ['a', 'b']],
    ['map', [['attached-mac', '02:00:00:00:0a:01']]],
    ['map', [[1, ['uuid', 'q']]]],
    ['map', []],
  ];
  for (const w of wire) assert.deepEqual(encodeValue(decodeValue(w)), w);
  assert.deepEqual(decodeValue(['uuid', 'u1']), new Uuid('u1'));
  assert.deepEqual(decodeValue(['map', [['k', 'v']]]), { k: 'v' });
  assert.ok(decodeValue(['map', [[1, 'v']]]) instanceof Map);
  assert.deepEqual(encodeValue([new NamedUuid('p')]), ['set', [['named-uuid', 'p']]]);
  assert.throws(() => decodeValue({ not: 'an atom' }), TypeError);
});

test('optional and set readers accept bare atoms and empty sets', () => {
  assert.deepEqual(asSet('secure'), ['secure']);
  assert.equal(asOptional([]), undefined);
  assert.equal(asOptional(7), 7);
  assert.deepEqual(asStringMap([]), {});
  assert.deepEqual(asStringMap({ a: 1 }), { a: '1' });
});

test('operations encode to RFC 7047 wire form', () => {
  assert.deepEqual(encodeOperation(op.insert('Port', { name: 'p', interfaces: new NamedUuid('i') }, 'port')), {
    op: 'insert',
    table: 'Port',
    row: { name: 'p', interfaces: ['named-uuid', 'i'] },
    'uuid-name': 'port',
  });
  assert.deepEqual(encodeOperation(waitRowUnchanged('Bridge', 'u', { _uuid: new Uuid('u'), fail_mode: [] })), {
    op: 'wait',
    table: 'Bridge',
    where: [['_uuid', '==', ['uuid', 'u']]],
    columns: ['fail_mode'],
    until: '==',
    rows: [{ fail_mode: ['set', []] }],
    timeout: 0,
  });
});

test('per-operation and commit-time errors surface with their index', () => {
  const ops = [op.select('Bridge'), op.comment('c')] as const;
  assert.throws(
    () => decodeResults(ops, [{ details: 'x', error: 'timed out' }, null]),
    (e: unknown) => e instanceof OvsdbTransactionError && e.index === 0 && e.error === 'timed out' && e.operation?.op === 'select',
  );
  assert.throws(
    () => decodeResults(ops, [{ rows: [] }, {}, { error: 'constraint violation' }]),
    (e: unknown) => e instanceof OvsdbTransactionError && e.index === 2 && e.operation === undefined,
  );
  assert.deepEqual(decodeResults(ops, [{ rows: [{ name: 'br0' }] }, {}]), [{ rows: [{ name: 'br0' }] }, {}]);
});

test('update2 modify applies set and map diffs per schema', () => {
  const schema: OvsdbSchema = {
    name: 'db',
    tables: {
      T: {
        columns: {
          name: { type: 'string' },
          ofport: { type: { key: 'integer', min: 0, max: 1 } },
          tags: { type: { key: 'string', min: 0, max: 'unlimited' } },
          ids: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
        },
      },
    },
  };
  const c = new OvsdbTableCache(schema);
  c.applyUpdate2({
    T: {
      r: {
        initial: {
          name: 'a',
          ofport: ['set', []],
          tags: ['set', ['x', 'y']],
          ids: [
            'map',
            [
              ['k', '1'],
              ['d', '2'],
            ],
          ],
        },
      },
    },
  });
  const ch = c.applyUpdate2({
    T: {
      r: {
        modify: {
          name: 'b',
          ofport: 4,
          tags: ['set', ['y', 'z']],
          ids: [
            'map',
            [
              ['k', '9'],
              ['d', '2'],
              ['n', '3'],
            ],
          ],
        },
      },
    },
  });
  assert.deepEqual(c.get('T', 'r'), { name: 'b', ofport: 4, tags: ['x', 'z'], ids: { k: '9', n: '3' } });
  assert.equal(ch[0].kind, 'modify');
  c.applyUpdate2({ T: { r: { modify: { ofport: 5 } } } }); // an optional column carries its new value
  assert.deepEqual(c.get('T', 'r')!.ofport, 5);
  c.applyUpdate2({ T: { r: { modify: { ofport: ['set', []] } } } });
  assert.deepEqual(c.get('T', 'r')!.ofport, []);
  assert.equal(c.applyUpdate2({ T: { r: { delete: null } } })[0].kind, 'delete');
  assert.equal(c.table('T').size, 0);
});

test('backoff grows exponentially, is capped and jittered within bounds', () => {
  const o = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.2 };
  assert.equal(
    backoffDelay(0, o, () => 0.5),
    100,
  );
  assert.equal(
    backoffDelay(3, o, () => 0.5),
    800,
  );
  assert.equal(
    backoffDelay(10, o, () => 0.5),
    1000,
  );
  assert.equal(
    backoffDelay(0, o, () => 0),
    80,
  );
  assert.equal(
    backoffDelay(0, o, () => 1),
    120,
  );
  assert.equal(
    backoffDelay(20, o, () => 1),
    1000,
  );
});
