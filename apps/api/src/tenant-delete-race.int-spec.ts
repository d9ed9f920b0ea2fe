import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Client;
let flavorId: string;
let imageId: string;
before(async () => {
  api = await startApi();
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'f', vcpus: 1, memoryMiB: 512, diskGiB: 10 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'i', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

const TRIALS = 40;

test(
  `${TRIALS} trials of 8 concurrent creates (VMs, networks, keys) racing a tenant delete: nothing lives on in a deleted tenant`,
  { timeout: 180_000 },
  async () => {
    let deletedTrials = 0;
    let refusedTrials = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const tenant = (await api.call('POST', '/v1/tenants', { body: { name: `race-${trial}` } })).body;
      const t = `?tenantId=${tenant.id}`;
      const creates = [
        ...[0, 1, 2, 3].map((i) => () => api.call('POST', `/v1/vms${t}`, { body: { name: `vm-${i}`, flavorId, imageId } })),
        ...[0, 1].map((i) => () => api.call('POST', `/v1/networks${t}`, { body: { name: `net-${i}`, cidr: '10.0.0.0/24' } })),
        ...[0, 1].map((i) => () => api.call('POST', `/v1/tenants/${tenant.id}/api-keys`, { body: { name: `k-${i}`, role: 'member' } })),
      ];
      // The delete lands somewhere inside the burst of creates.
      const deleting = new Promise((r) => setTimeout(r, trial % 8)).then(() => api.call('DELETE', `/v1/tenants/${tenant.id}`));
      const results = await Promise.all([...creates.map((c) => c()), deleting]);
      const del = results.at(-1)!;
      for (const r of results) assert.ok(r.status < 500, `trial ${trial}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok([204, 409].includes(del.status), JSON.stringify(del.body));

      const {
        rows: [state],
      } = await db.query(
        `SELECT t.status,
         (SELECT count(*) FROM vms WHERE tenant_id = t.id AND status <> 'deleted')::int AS vms,
         (SELECT count(*) FROM networks WHERE tenant_id = t.id AND status <> 'deleted')::int AS networks,
         (SELECT count(*) FROM api_keys WHERE tenant_id = t.id AND revoked_at IS NULL)::int AS keys,
         (SELECT count(*) FROM operations WHERE tenant_id = t.id)::int AS operations
       FROM tenants t WHERE t.id = $1`,
        [tenant.id],
      );
      if (del.status === 204) {
        deletedTrials++;
        assert.equal(state.status, 'deleted');
        assert.deepEqual(
          { vms: state.vms, networks: state.networks, keys: state.keys, operations: state.operations },
          { vms: 0, networks: 0, keys: 0, operations: 0 },
          `trial ${trial}: a deleted tenant owns something`,
        );
        // Every VM or network create that lost the race says the tenant is gone; a key made before the delete was revoked by it.
        for (const r of results.slice(0, 6))
          assert.ok(r.status === 404 && r.body.code === 'not_found', `trial ${trial}: ${r.status} ${JSON.stringify(r.body)}`);
        for (const r of results.slice(6, 8))
          assert.ok(r.status === 201 || (r.status === 404 && r.body.code === 'not_found'), `trial ${trial}: ${r.status}`);
      } else {
        refusedTrials++;
        assert.equal(state.status, 'active');
        assert.ok(state.vms + state.networks > 0, 'refused only because it owned something');
      }
    }
    // Both outcomes happened, so the race was really run.
    assert.ok(deletedTrials > 0 && refusedTrials > 0, `deleted ${deletedTrials}, refused ${refusedTrials}`);
  },
);
