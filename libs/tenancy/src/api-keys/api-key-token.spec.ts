import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantTimeEquals, generateToken, parseToken, secretMatches } from './api-key-token.js';

test('a generated token parses back to its prefix and matches its stored hash only', () => {
  const g = generateToken();
  const parsed = parseToken(g.token);
  assert.ok(parsed);
  assert.equal(parsed.prefix, g.prefix);
  assert.equal(secretMatches(parsed.secret, g.secretHash), true);
  assert.equal(
    secretMatches(
      parsed.secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      g.secretHash,
    ),
    false,
  );
  assert.ok(!g.secretHash.toString('utf8').includes(parsed.secret), 'the secret is not stored in clear');
});

test('tokens are unique and malformed ones are refused before any lookup', () => {
  assert.notEqual(generateToken().token, generateToken().token);
  for (const bad of ['', 'xpk_', 'Bearer x', `xpk_${'z'.repeat(16)}_${'a'.repeat(43)}`, `xpk_${'0'.repeat(16)}_${'a'.repeat(42)}`]) {
    assert.equal(parseToken(bad), null, bad);
  }
});

test('constant-time comparison handles different lengths', () => {
  assert.equal(constantTimeEquals('abc', 'abc'), true);
  assert.equal(constantTimeEquals('abc', 'abcd'), false);
});
