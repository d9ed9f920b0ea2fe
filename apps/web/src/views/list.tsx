import type { ReactNode } from 'react';
import { useLiveList, type Row } from '../use-live-list.js';

export type { Row };
export interface Column {
  key: string;
  label: string;
  render?: (row: Row) => ReactNode;
}

const shown = (v: unknown): ReactNode => {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
};

/**
 * A table of one list route. With `kind` (the events' resource type) its rows follow the event stream; without, it is
 * read once (and polled only while the stream is down). `actions` adds a last column; `reload` lists again, `put`
 * shows a row as an answer just gave it (before the events about it arrive).
 */
export function ResourceList({
  path,
  columns,
  actions,
  everyMs = 5000,
  label,
  kind,
  children,
}: {
  path: string;
  columns: Column[];
  actions?: (row: Row, reload: () => void, put: (row: Row) => void) => ReactNode;
  everyMs?: number;
  label: string;
  kind?: string;
  children?: (reload: () => void) => ReactNode;
}) {
  const { data, error, reload, put } = useLiveList(path, kind, everyMs);
  return (
    <section aria-label={label}>
      {children?.(reload)}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {/* A list that could not be read says so once, not also "Loading…" forever. */}
      {!(error && !data) && <Table rows={data} columns={columns} actions={actions && ((r) => actions(r, reload, put))} label={label} />}
    </section>
  );
}

export function Table({ rows, columns, actions, label }: { rows?: Row[]; columns: Column[]; actions?: (row: Row) => ReactNode; label: string }) {
  if (!rows) return <p aria-busy="true">Loading…</p>;
  if (!rows.length) return <p>No {label} yet.</p>;
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.key} scope="col">
              {c.label}
            </th>
          ))}
          {actions && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={typeof r.id === 'string' ? r.id : i} data-id={typeof r.id === 'string' ? r.id : undefined}>
            {columns.map((c) => (
              <td key={c.key} data-col={c.key}>
                {c.render ? c.render(r) : shown(r[c.key])}
              </td>
            ))}
            {actions && <td>{actions(r)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const col = (key: string, label = key): Column => ({ key, label });
