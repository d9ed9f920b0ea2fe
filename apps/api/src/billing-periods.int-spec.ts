import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SKUS } from '@xenplane/accounting';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
before(async () => {
  api = await startApi();
});
after(async () => {
  await api?.close();
});

const label = (d: Date) => d.toISOString().slice(0, 7);
const now = new Date();
const current = label(now);
const next = label(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)));

test('periods outside 2000-2999 are refused on every route that takes one (400), so year 50 cannot be closed', async () => {
  for (const path of ['/v1/billing/periods/0050-01/close', '/v1/billing/periods/3000-01/close']) {
    const r = await api.call('POST', path);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.code, 'validation_failed');
    assert.deepEqual(
      r.body.errors.map((e: { path: string }) => e.path),
      ['period'],
    );
  }
  for (const path of ['/v1/billing/export?period=0050-01', '/v1/billing/export/metadata?period=0050-01', '/v1/billing/invoices?period=0050-01']) {
    const r = await api.call('GET', path);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.code, 'validation_failed');
  }
  assert.deepEqual((await api.call('GET', '/v1/billing/periods')).body.items, []);
});

test('nothing priced or metered: no period can be closed; months not begun cannot be shown either (422 period_out_of_range)', async () => {
  const r = await api.call('POST', '/v1/billing/periods/2026-01/close');
  assert.equal(r.status, 422);
  assert.equal(r.body.code, 'period_out_of_range');
  assert.equal(r.body.earliest, null);
  assert.equal(r.body.latest, current);
  for (const path of [`/v1/billing/export?period=${next}`, `/v1/billing/export/metadata?period=${next}`, `/v1/billing/invoices?period=${next}`]) {
    const f = await api.call('GET', path);
    assert.equal(f.status, 422, path);
    assert.equal(f.body.code, 'period_out_of_range');
    assert.match(f.body.detail, /has not begun/);
  }
  // An earlier month is simply empty to look at.
  assert.equal((await api.call('GET', '/v1/billing/invoices?period=2026-01')).status, 200);
});

test('with prices from March 2026: February cannot be closed, nor next month; March is refused only until it is rated', async () => {
  const put = await api.call('PUT', '/v1/prices', {
    body: { currency: 'EUR', effectiveFrom: '2026-03-01T00:00:00Z', items: SKUS.map((sku) => ({ sku, unitPrice: '0.01' })) },
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const before = await api.call('POST', '/v1/billing/periods/2026-02/close');
  assert.equal(before.status, 422);
  assert.equal(before.body.code, 'period_out_of_range');
  assert.equal(before.body.earliest, '2026-03');
  assert.match(before.body.detail, /before the first month with prices or usage \(2026-03\)/);
  const later = await api.call('POST', `/v1/billing/periods/${next}/close`);
  assert.equal(later.status, 422);
  assert.match(later.body.detail, /has not begun/);
  const march = await api.call('POST', '/v1/billing/periods/2026-03/close');
  assert.equal(march.status, 409, 'in range, but no hour is rated yet');
  assert.deepEqual([march.body.code, march.body.ratedThrough], ['period_not_rated', null]);
  assert.deepEqual((await api.call('GET', '/v1/billing/periods')).body.items, [], 'nothing was frozen');
});
