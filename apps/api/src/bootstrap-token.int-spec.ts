// The bootstrap token's retirement (issue 14), in a file of its own: passport keeps one bearer strategy per process,
// the last API started's, so these APIs must not share a process with another test's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApi } from './testing/api-harness.js';

test('BOOTSTRAP_OPERATOR_TOKEN_RETIRES=on-first-operator-key (the default): it stops working once an operator key exists', async () => {
  const fresh = await startApi({ BOOTSTRAP_OPERATOR_TOKEN_RETIRES: '' });
  try {
    assert.equal((await fresh.call('GET', '/v1/tenants')).status, 200, 'a fresh database: the bootstrap token works');
    const first = await fresh.call('POST', '/v1/operator-keys', { body: { name: 'first-operator' } });
    assert.equal(first.status, 201);
    const retired = await fresh.call('GET', '/v1/tenants');
    assert.equal(retired.status, 401, 'retired');
    assert.equal(retired.body.code, 'unauthenticated');
    assert.equal((await fresh.call('GET', '/v1/tenants', { token: first.body.token })).status, 200);
    // Even with that key revoked it stays retired: an operator key existed.
    assert.equal((await fresh.call('DELETE', `/v1/operator-keys/${first.body.id}`, { token: first.body.token })).status, 204);
    assert.equal((await fresh.call('GET', '/v1/tenants')).status, 401);
    // Another API process on the same database sees the same rule.
    const second = await startApi({ BOOTSTRAP_OPERATOR_TOKEN_RETIRES: '' }, { attachTo: fresh.db });
    try {
      assert.equal((await second.call('GET', '/v1/tenants')).status, 401);
    } finally {
      await second.close();
    }
  } finally {
    await fresh.close();
  }
});
