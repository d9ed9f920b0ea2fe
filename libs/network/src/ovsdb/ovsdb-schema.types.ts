// The subset of the RFC 7047 §3.2 schema we read: column types, to know how update2 diffs apply.

/** A column's base type: an atomic type name or a constrained base type object. */
export type OvsdbBaseType = string | { type: string; enum?: unknown; refTable?: string; refType?: 'strong' | 'weak'; [k: string]: unknown };

/** A column type: an atomic type name, or key/value with min/max cardinality. */
export type OvsdbColumnType = string | { key: OvsdbBaseType; value?: OvsdbBaseType; min?: number; max?: number | 'unlimited' };

/** Schema of one database as returned by get_schema. */
export interface OvsdbSchema {
  name: string;
  version?: string;
  cksum?: string;
  tables: Record<
    string,
    {
      columns: Record<string, { type: OvsdbColumnType; ephemeral?: boolean; mutable?: boolean }>;
      maxRows?: number;
      isRoot?: boolean;
      indexes?: string[][];
    }
  >;
}

/** How a column changes in an update2 `modify`: replaced, or diffed as a set or a map. */
export type ColumnKind = 'scalar' | 'set' | 'map';

/** Classifies a column as ovsdb-server 3.1 diffs it: at most one atom is replaced (seen on the wire), larger sets and maps are diffed. */
export function columnKind(schema: OvsdbSchema | undefined, table: string, column: string): ColumnKind {
  const t = schema?.tables[table]?.columns[column]?.type;
  if (t === undefined || typeof t === 'string') return 'scalar';
  if (t.value !== undefined) return 'map';
  return (t.max ?? 1) === 1 ? 'scalar' : 'set';
}
