import { stringify } from 'yaml';

export type Format = 'table' | 'json' | 'yaml';

export interface OutputOptions {
  output: Format;
  quiet: boolean;
}

export type Column = [header: string, pick: (row: Record<string, unknown>) => unknown];

const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** Aligned columns, a header line, no borders: what `openstack -f table`-weary eyes and `awk` both read. */
export function table(rows: Record<string, unknown>[], given: Column[]): string {
  const columns = given.length ? given : Object.keys(rows[0] ?? {}).map((k) => col(k));
  const cells = rows.map((r) => columns.map(([, pick]) => cell(pick(r))));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([h]) => h.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** Prints one record or a list in the chosen format; `--quiet` prints ids only (one a line). */
export function print(value: unknown, columns: Column[], opts: OutputOptions): void {
  const rows = (Array.isArray(value) ? value : [value]) as Record<string, unknown>[];
  if (opts.quiet) {
    for (const r of rows) process.stdout.write(`${cell(r.id)}\n`);
  } else if (opts.output === 'json') {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  } else if (opts.output === 'yaml') {
    process.stdout.write(stringify(value));
  } else if (Array.isArray(value)) {
    process.stdout.write(table(rows, columns));
  } else {
    // One record: a key/value listing shows every field, not only the list's columns.
    const record = value as Record<string, unknown>;
    const width = Math.max(...Object.keys(record).map((k) => k.length));
    for (const [k, v] of Object.entries(record)) process.stdout.write(`${k.padEnd(width)}  ${cell(v)}\n`);
  }
}

export const col = (header: string, key = header): Column => [header, (r) => r[key]];
