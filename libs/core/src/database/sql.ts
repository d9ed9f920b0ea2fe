import type { EntityManager, QueryResult } from 'typeorm';

/**
 * The one way repositories run raw SQL. `q` is a transaction's EntityManager or `ds.manager`. TypeORM's postgres
 * driver answers `manager.query` with rows for SELECT/INSERT but `[rows, rowCount]` for UPDATE/DELETE; these ask the
 * query runner for its structured result instead, so every statement answers the same shape.
 */
async function run(q: EntityManager, text: string, params: readonly unknown[]): Promise<QueryResult> {
  // A transaction's manager has its runner; ds.manager borrows a pooled connection for one statement.
  const runner = q.queryRunner ?? q.dataSource.createQueryRunner();
  try {
    return await runner.query(text, params as unknown[], true);
  } finally {
    if (!q.queryRunner) await runner.release();
  }
}

/** The rows of a SELECT, or of an INSERT/UPDATE/DELETE ... RETURNING. */
export async function rows<T extends object = Record<string, unknown>>(
  q: EntityManager,
  text: string,
  params: readonly unknown[] = [],
): Promise<T[]> {
  return ((await run(q, text, params)).records ?? []) as T[];
}

/** The first row, or undefined when there is none. */
export async function one<T extends object = Record<string, unknown>>(
  q: EntityManager,
  text: string,
  params: readonly unknown[] = [],
): Promise<T | undefined> {
  return (await rows<T>(q, text, params))[0];
}

/** How many rows an INSERT/UPDATE/DELETE changed (or a SELECT answered). */
export async function affected(q: EntityManager, text: string, params: readonly unknown[] = []): Promise<number> {
  return (await run(q, text, params)).affected ?? 0;
}
