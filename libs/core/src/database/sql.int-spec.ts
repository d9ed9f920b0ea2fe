// The raw-SQL helper against a real Postgres: every statement kind answers typed rows, never TypeORM's [rows, rowCount].
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource, type EntityManager } from 'typeorm';
import { affected, one, rows } from './sql.js';

// libs/core may not use @xenplane/testing (it depends on core): a temp table on one kept connection needs no database.
let ds: DataSource;
before(async () => {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/xenplane');
  url.pathname = '/postgres';
  ds = await new DataSource({ type: 'postgres', url: url.toString(), extra: { max: 1, idleTimeoutMillis: 0 } }).initialize();
  await ds.query(`CREATE TEMP TABLE items (id int PRIMARY KEY, name text NOT NULL)`);
});
after(async () => {
  await ds?.destroy();
});

interface Item {
  id: number;
  name: string;
}

// Each test runs in a transaction that rolls back, and again on ds.manager (its own statements), so both paths are seen.
async function onBoth(fn: (q: EntityManager) => Promise<void>): Promise<void> {
  await ds.transaction(async (tx) => {
    await fn(tx);
    await tx.query(`DELETE FROM items`);
  });
  await fn(ds.manager);
  await ds.query(`DELETE FROM items`);
}

test('UPDATE and DELETE ... RETURNING answer their rows, as SELECT and INSERT do', () =>
  onBoth(async (q) => {
    assert.deepEqual(await rows<Item>(q, `INSERT INTO items VALUES (1, 'a'), (2, 'b') RETURNING id, name`), [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    assert.deepEqual(await rows<Item>(q, `UPDATE items SET name = name || '!' WHERE id = $1 RETURNING id, name`, [2]), [{ id: 2, name: 'b!' }]);
    assert.deepEqual(await rows<Item>(q, `UPDATE items SET name = 'x' WHERE id = 99 RETURNING id`), [], 'no match: no rows, not [[], 0]');
    assert.deepEqual(await rows<Item>(q, `SELECT id, name FROM items ORDER BY id`), [
      { id: 1, name: 'a' },
      { id: 2, name: 'b!' },
    ]);
    assert.deepEqual(await rows<Pick<Item, 'id'>>(q, `DELETE FROM items WHERE id = 1 RETURNING id`), [{ id: 1 }]);
    assert.deepEqual(await rows(q, `DELETE FROM items WHERE id = 1`), [], 'without RETURNING: no rows');
  }));

test('one answers the first row or undefined, whatever the statement', () =>
  onBoth(async (q) => {
    assert.equal(await one<Item>(q, `SELECT id, name FROM items`), undefined);
    assert.deepEqual(await one<Item>(q, `INSERT INTO items VALUES (3, 'c') RETURNING id, name`), { id: 3, name: 'c' });
    assert.deepEqual(await one<Item>(q, `UPDATE items SET name = 'd' WHERE id = $1 RETURNING id, name`, [3]), { id: 3, name: 'd' });
    assert.equal(await one<Item>(q, `UPDATE items SET name = 'e' WHERE id = $1 RETURNING id, name`, [4]), undefined);
    assert.deepEqual(await one<Pick<Item, 'name'>>(q, `DELETE FROM items WHERE id = $1 RETURNING name`, [3]), { name: 'd' });
  }));

test('affected counts the rows an INSERT, UPDATE or DELETE changed', () =>
  onBoth(async (q) => {
    assert.equal(await affected(q, `INSERT INTO items VALUES (5, 'e'), (6, 'f'), (7, 'g')`), 3);
    assert.equal(await affected(q, `INSERT INTO items VALUES (5, 'e') ON CONFLICT DO NOTHING`), 0);
    assert.equal(await affected(q, `UPDATE items SET name = 'z' WHERE id >= $1`, [6]), 2);
    assert.equal(await affected(q, `UPDATE items SET name = 'z' WHERE id = 99`), 0);
    assert.equal(await affected(q, `DELETE FROM items`), 3);
  }));

test("a transaction's statements run on its connection: its writes are seen inside and rolled back with it", async () => {
  await assert.rejects(
    ds.transaction(async (tx) => {
      await affected(tx, `INSERT INTO items VALUES (8, 'h')`);
      assert.deepEqual(await rows<Item>(tx, `SELECT id, name FROM items`), [{ id: 8, name: 'h' }]);
      throw new Error('roll back');
    }),
    /roll back/,
  );
  assert.deepEqual(await rows<Item>(ds.manager, `SELECT id, name FROM items`), []);
});
