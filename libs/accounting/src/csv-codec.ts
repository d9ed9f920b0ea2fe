/**
 * Byte-stable CSV (RFC 4180 quoting, UTF-8, no BOM). Lines end with `\n`, not RFC 4180's CRLF: accounting.md
 * §4.1 P6 fixes LF for reproducible hashes, and the FOCUS validator's loaders (Polars, DuckDB) read both.
 * NULL is an empty unquoted field; an empty string would be `""` (FOCUS forbids both "" and placeholders
 * for null, so our rows never contain one).
 */
export type Cell = string | null;

export const CSV_EOL = '\n';

// A field is quoted only when it must be: the same text always gives the same bytes.
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(cell: Cell): string {
  if (cell === null) return '';
  if (cell === '') return '""';
  return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** One record, terminated by CSV_EOL. */
export function csvLine(cells: readonly Cell[]): string {
  return cells.map(csvField).join(',') + CSV_EOL;
}

/** A whole small document (header + rows) as one string; use csvStream for exports. */
export function toCsv(header: readonly string[], rows: Iterable<readonly Cell[]>): string {
  let out = csvLine(header);
  for (const row of rows) out += csvLine(row);
  return out;
}

/**
 * Streams header and rows as text chunks of about `chunkBytes`, holding one chunk at a time: constant memory
 * whatever the row count (the export pipes it straight into the HTTP response).
 */
export async function* csvStream(
  header: readonly string[],
  rows: Iterable<readonly Cell[]> | AsyncIterable<readonly Cell[]>,
  chunkBytes = 64 * 1024,
): AsyncGenerator<string> {
  let buffer = csvLine(header);
  for await (const row of rows) {
    const width = row.length;
    if (width !== header.length) throw new RangeError(`row has ${width} cells, header ${header.length}`);
    buffer += csvLine(row);
    if (buffer.length >= chunkBytes) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer.length > 0) yield buffer;
}

/**
 * Parses RFC 4180 text (LF or CRLF) into records of cells: unquoted empty → null, quoted `""` → "".
 * Throws on a stray quote or an unterminated quoted field, so a broken file never passes as data.
 */
export function parseCsv(text: string): Cell[][] {
  const records: Cell[][] = [];
  let record: Cell[] = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return records;
  for (;;) {
    let cell: Cell;
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new SyntaxError(`unterminated quoted field in record ${records.length + 1}`);
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cell = value;
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j += 1;
      const raw = text.slice(i, j);
      if (raw.includes('"')) throw new SyntaxError(`stray quote in record ${records.length + 1}`);
      cell = raw === '' ? null : raw;
      i = j;
    }
    record.push(cell);
    if (i >= n) {
      records.push(record);
      return records;
    }
    const c = text[i];
    if (c === ',') {
      i += 1;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') i += 1;
    else if (c !== '\n') throw new SyntaxError(`unexpected ${JSON.stringify(c)} after a field in record ${records.length + 1}`);
    i += 1;
    records.push(record);
    record = [];
    // A final line ending does not start another record.
    if (i >= n) return records;
  }
}
