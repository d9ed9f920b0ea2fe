// How an error appears in a log line: what failed and why (kind, codes, constraint, message, stack), never the
// values it was given (a failed query's parameters, a row in a constraint's detail, a request body).

// Fields that name what failed: pg's (via TypeORM's QueryFailedError), Node's system errors, HTTP statuses.
const KEPT = [
  'code',
  'errno',
  'syscall',
  'severity',
  'routine',
  'constraint',
  'schema',
  'table',
  'column',
  'dataType',
  'status',
  'statusCode',
] as const;
// Postgres quotes the offending value after "...: " (invalid input syntax, out of range) or as `value "..."`.
const QUOTED_VALUE = /(: |value )"(?:[^"]|"")*"/g;
const MAX_DEPTH = 3;

type Loose = Error & Record<string, unknown> & { driverError?: Record<string, unknown>; parameters?: unknown[] };

/** The message with every value a query carried, and every value Postgres quoted, replaced by `<redacted>`. */
export function redactMessage(message: string, parameters: unknown[] = []): string {
  let out = message.replace(QUOTED_VALUE, '$1"<redacted>"');
  const values = parameters.flatMap((p) =>
    p instanceof Date ? [p.toISOString()] : typeof p === 'string' || typeof p === 'number' || typeof p === 'bigint' ? [String(p)] : [],
  );
  // Longest first, so a value containing another is removed whole; very short ones would shred the message itself.
  for (const v of values.filter((x) => x.length >= 3).sort((a, b) => b.length - a.length)) out = out.split(v).join('<redacted>');
  return out;
}

/** A log-safe description of `err`: an allow-list of fields, so nothing a library attaches (parameters, query, detail, config) slips through. */
export function safeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: redactMessage(String(err)) };
  const e = err as Loose;
  const source = { ...(e.driverError ?? {}), ...e } as Record<string, unknown>;
  const type = e.constructor?.name ?? e.name;
  // Never throws: a logger that throws would change the path of whatever was failing.
  const message = redactMessage(String(e.message ?? ''), Array.isArray(e.parameters) ? e.parameters : []);
  const out: Record<string, unknown> = { type, message };
  for (const k of KEPT) if (source[k] !== undefined && source[k] !== null) out[k] = source[k];
  // The stack's first lines repeat the message; the frames after it never hold values.
  if (typeof e.stack === 'string') out.stack = [`${type}: ${message}`, ...e.stack.split('\n').filter((line) => /^\s+at /.test(line))].join('\n');
  if (e.cause !== undefined && depth < MAX_DEPTH) out.cause = safeError(e.cause, depth + 1);
  return out;
}
