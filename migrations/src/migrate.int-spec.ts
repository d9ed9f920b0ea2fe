import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { MIGRATIONS, migrate } from './migrate.js';

function dbUrl(name: string): string {
  const u = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/xenplane');
  u.pathname = `/${name}`;
  return u.toString();
}

test('several processes migrating a missing database at once create it once and apply each migration once', async () => {
  const name = `xenplane_test_mig_${randomBytes(4).toString('hex')}`;
  const url = dbUrl(name);
  try {
    const results = await Promise.all([migrate(url), migrate(url), migrate(url), migrate(url)]);
    assert.equal(results.flat().length, MIGRATIONS.length, 'each migration ran exactly once');
    assert.deepEqual(await migrate(url), [], 'a later run has nothing to do');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const tables = await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    await client.end();
    const names = tables.rows.map((r: { table_name: string }) => r.table_name);
    for (const t of ['tenants', 'api_keys', 'flavors', 'images', 'pools', 'vms', 'operations', 'outbox']) assert.ok(names.includes(t), t);
  } finally {
    const admin = new pg.Client({ connectionString: dbUrl('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
});
