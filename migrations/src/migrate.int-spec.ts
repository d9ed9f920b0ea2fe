import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
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

/** Everything a migration can make, as text: tables and columns, constraints, indexes, functions and triggers. */
async function schemaOf(client: pg.Client): Promise<string> {
  const parts = await Promise.all(
    [
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1, 2`,
      `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> 'migrations'::regclass ORDER BY 1, 2`,
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY 1`,
      `SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`,
      `SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`,
    ].map((q) => client.query(q)),
  );
  return parts.map((r) => JSON.stringify(r.rows)).join('\n');
}

test('every migration can be undone: up, down to nothing, up again gives the same schema', async () => {
  const name = `xenplane_test_mig_${randomBytes(4).toString('hex')}`;
  const url = dbUrl(name);
  const client = new pg.Client({ connectionString: url });
  try {
    await migrate(url);
    await client.connect();
    const first = await schemaOf(client);
    const ds = await new DataSource({ type: 'postgres', url, migrations: MIGRATIONS, migrationsTableName: 'migrations' }).initialize();
    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    await ds.destroy();
    const left = await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`);
    assert.deepEqual(left.rows, [], 'down() of every migration leaves no table behind');
    assert.equal((await migrate(url)).length, MIGRATIONS.length, 'all of them apply again');
    assert.equal(await schemaOf(client), first, 'and make the same schema');
  } finally {
    await client.end().catch(() => undefined);
    const admin = new pg.Client({ connectionString: dbUrl('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
});
