import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactMessage, safeError } from './safe-error.js';

test('values Postgres quotes in its messages are redacted; identifiers stay', () => {
  assert.equal(redactMessage('invalid input syntax for type uuid: "------"'), 'invalid input syntax for type uuid: "<redacted>"');
  assert.equal(redactMessage('value "99999999999" is out of range for type integer'), 'value "<redacted>" is out of range for type integer');
  assert.equal(
    redactMessage('duplicate key value violates unique constraint "uq_tenants_name"'),
    'duplicate key value violates unique constraint "uq_tenants_name"',
  );
  assert.equal(redactMessage('invalid byte sequence for encoding "UTF8": 0x00'), 'invalid byte sequence for encoding "UTF8": 0x00');
});

test('a parameter repeated verbatim in a message is redacted, longest first', () => {
  assert.equal(redactMessage('refusing acme-secret and acme', ['acme', 'acme-secret']), 'refusing <redacted> and <redacted>');
  assert.equal(redactMessage('at 2026-01-01T00:00:00.000Z', [new Date('2026-01-01T00:00:00Z')]), 'at <redacted>');
});

test('only allow-listed fields of an error are kept', () => {
  const err = Object.assign(new Error('refusing secret-1'), {
    parameters: ['secret-1'],
    query: 'INSERT …',
    detail: 'Failing row contains (secret-1)',
    code: '23514',
    constraint: 'ck_x',
    config: { headers: { authorization: 'Bearer t' } },
  });
  const out = safeError(err);
  assert.deepEqual(Object.keys(out).sort(), ['code', 'constraint', 'message', 'stack', 'type']);
  assert.doesNotMatch(JSON.stringify(out), /secret-1|Bearer/);
  assert.match(String(out.stack), /^Error: refusing <redacted>\n\s+at /);
});
