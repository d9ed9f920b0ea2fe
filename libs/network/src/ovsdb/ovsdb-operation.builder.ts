// Small constructors for transaction operations, including the `wait` guards used for optimistic concurrency.
import type { Condition, DeleteOp, InsertOp, MutateOp, Mutation, SelectOp, UpdateOp, WaitOp, CommentOp } from './ovsdb-operation.types.js';
import { Uuid, type OvsdbRow } from './ovsdb-value.codec.js';

/** `where` clause matching one row by uuid. */
export function byUuid(uuid: string | Uuid): Condition[] {
  return [['_uuid', '==', typeof uuid === 'string' ? new Uuid(uuid) : uuid]];
}

/** Builders for each operation; they return plain objects accepted by OvsdbClient.transact. */
export const op = {
  insert: (table: string, row: OvsdbRow, uuidName?: string): InsertOp => ({ op: 'insert', table, row, ...(uuidName ? { uuidName } : {}) }),
  select: (table: string, where: readonly Condition[] = [], columns?: string[]): SelectOp => ({
    op: 'select',
    table,
    where,
    ...(columns ? { columns } : {}),
  }),
  update: (table: string, where: readonly Condition[], row: OvsdbRow): UpdateOp => ({ op: 'update', table, where, row }),
  mutate: (table: string, where: readonly Condition[], mutations: readonly Mutation[]): MutateOp => ({ op: 'mutate', table, where, mutations }),
  delete: (table: string, where: readonly Condition[]): DeleteOp => ({ op: 'delete', table, where }),
  comment: (comment: string): CommentOp => ({ op: 'comment', comment }),
};

/**
 * A `wait` that lets the transaction apply only if the row still has the values we saw for `columns`
 * (defaults to every column of `seen` except `_uuid`/`_version`). Fails with "timed out" otherwise.
 */
export function waitRowUnchanged(table: string, uuid: string | Uuid, seen: OvsdbRow, columns?: string[]): WaitOp {
  const cols = columns ?? Object.keys(seen).filter((c) => c !== '_uuid' && c !== '_version');
  const row: OvsdbRow = {};
  for (const c of cols) {
    const v = seen[c];
    if (v === undefined) throw new RangeError(`waitRowUnchanged: column ${c} missing from the seen row`);
    row[c] = v;
  }
  return { op: 'wait', table, where: byUuid(uuid), columns: cols, until: '==', rows: [row], timeout: 0 };
}

/** A `wait` that lets the transaction apply only if no row matches `where` (idempotent creates). */
export function waitNoRows(table: string, where: readonly Condition[]): WaitOp {
  return { op: 'wait', table, where, columns: ['_uuid'], until: '==', rows: [], timeout: 0 };
}
