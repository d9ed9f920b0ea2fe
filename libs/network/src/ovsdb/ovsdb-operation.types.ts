// Transaction operations and results of RFC 7047 §5.2, in JS form, plus their wire encoding.
import { decodeRow, decodeValue, encodeRow, encodeValue, Uuid, type OvsdbRow, type OvsdbValue } from './ovsdb-value.codec.js';

/** Comparison functions allowed in a `where` clause. */
export type ConditionFunction = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'includes' | 'excludes';
/** One `where` clause term: [column, function, value]. */
export type Condition = readonly [column: string, fn: ConditionFunction, value: OvsdbValue];
/** Mutators of the `mutate` operation. */
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
/** One mutation: [column, mutator, value]. */
export type Mutation = readonly [column: string, mutator: Mutator, value: OvsdbValue];

/** Insert a row; `uuidName` lets later operations refer to it as a NamedUuid. */
export interface InsertOp {
  op: 'insert';
  table: string;
  row: OvsdbRow;
  uuidName?: string;
}
/** Select rows matching `where`. */
export interface SelectOp {
  op: 'select';
  table: string;
  where: readonly Condition[];
  columns?: string[];
}
/** Update the given columns of the matching rows. */
export interface UpdateOp {
  op: 'update';
  table: string;
  where: readonly Condition[];
  row: OvsdbRow;
}
/** Mutate columns of the matching rows in place. */
export interface MutateOp {
  op: 'mutate';
  table: string;
  where: readonly Condition[];
  mutations: readonly Mutation[];
}
/** Delete the matching rows. */
export interface DeleteOp {
  op: 'delete';
  table: string;
  where: readonly Condition[];
}
/** Abort the transaction unless the selected columns of the matching rows equal (or differ from) `rows`. */
export interface WaitOp {
  op: 'wait';
  table: string;
  where: readonly Condition[];
  columns: string[];
  until: '==' | '!=';
  rows: OvsdbRow[];
  timeout?: number;
}
/** Ask for a durable commit. */
export interface CommitOp {
  op: 'commit';
  durable: boolean;
}
/** Abort the transaction on purpose. */
export interface AbortOp {
  op: 'abort';
}
/** A comment recorded in the server's log. */
export interface CommentOp {
  op: 'comment';
  comment: string;
}
/** Require that the client holds a lock. */
export interface AssertOp {
  op: 'assert';
  lock: string;
}

/** Any transaction operation. */
export type OvsdbOperation = InsertOp | SelectOp | UpdateOp | MutateOp | DeleteOp | WaitOp | CommitOp | AbortOp | CommentOp | AssertOp;

/** Result of an insert. */
export interface InsertResult {
  uuid: Uuid;
}
/** Result of a select. */
export interface SelectResult {
  rows: OvsdbRow[];
}
/** Result of update, mutate and delete. */
export interface CountResult {
  count: number;
}

/** The result type for one operation type. */
export type ResultOf<O> = O extends InsertOp
  ? InsertResult
  : O extends SelectOp
    ? SelectResult
    : O extends UpdateOp | MutateOp | DeleteOp
      ? CountResult
      : Record<string, never>;
/** Result tuple for a tuple of operations. */
export type ResultsOf<Ops extends readonly OvsdbOperation[]> = { -readonly [K in keyof Ops]: ResultOf<Ops[K]> };

/** A per-operation (or commit-time) failure reported inside a transact result. */
export class OvsdbTransactionError extends Error {
  override readonly name = 'OvsdbTransactionError';
  constructor(
    /** Index of the failing operation; equal to ops.length for a commit-time failure. */
    readonly index: number,
    /** The OVSDB error string, e.g. "timed out" for a failed wait, "constraint violation". */
    readonly error: string,
    readonly details: string | undefined,
    readonly operation: OvsdbOperation | undefined,
  ) {
    super(`transaction failed at operation ${index}${operation ? ` (${operation.op})` : ''}: ${error}${details ? `: ${details}` : ''}`);
  }
}

const encodeWhere = (w: readonly Condition[]) => w.map(([c, f, v]) => [c, f, encodeValue(v)]);

/** Encodes one operation to its wire object. */
export function encodeOperation(o: OvsdbOperation): Record<string, unknown> {
  switch (o.op) {
    case 'insert':
      return { op: 'insert', table: o.table, row: encodeRow(o.row), ...(o.uuidName ? { 'uuid-name': o.uuidName } : {}) };
    case 'select':
      return { op: 'select', table: o.table, where: encodeWhere(o.where), ...(o.columns ? { columns: o.columns } : {}) };
    case 'update':
      return { op: 'update', table: o.table, where: encodeWhere(o.where), row: encodeRow(o.row) };
    case 'mutate':
      return { op: 'mutate', table: o.table, where: encodeWhere(o.where), mutations: o.mutations.map(([c, m, v]) => [c, m, encodeValue(v)]) };
    case 'delete':
      return { op: 'delete', table: o.table, where: encodeWhere(o.where) };
    case 'wait':
      return {
        op: 'wait',
        table: o.table,
        where: encodeWhere(o.where),
        columns: o.columns,
        until: o.until,
        rows: o.rows.map(encodeRow),
        timeout: o.timeout ?? 0,
      };
    default:
      return { ...o };
  }
}

/** Decodes a transact reply, throwing OvsdbTransactionError on the first reported error. */
export function decodeResults(ops: readonly OvsdbOperation[], raw: unknown): unknown[] {
  if (!Array.isArray(raw)) throw new TypeError(`transact result is not an array: ${JSON.stringify(raw)}`);
  raw.forEach((r, i) => {
    // a null entry follows a failed operation: it was never executed
    if (r && typeof r === 'object' && typeof (r as { error?: unknown }).error === 'string') {
      const { error, details } = r as { error: string; details?: string };
      throw new OvsdbTransactionError(i, error, details, ops[i]);
    }
  });
  return raw.slice(0, ops.length).map((r) => {
    const res = (r ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    if (res.uuid !== undefined) out.uuid = decodeValue(res.uuid);
    if (typeof res.count === 'number') out.count = res.count;
    if (Array.isArray(res.rows)) out.rows = res.rows.map((row) => decodeRow(row as Record<string, unknown>));
    return out;
  });
}
