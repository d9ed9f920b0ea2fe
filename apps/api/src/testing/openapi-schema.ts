// The fuzzer's referee: what the served OpenAPI document says a value may be, written independently of the
// validators it checks (a value the document rules out must be refused; one it allows must never be a 5xx).
import type { OpenAPIObject } from '@nestjs/swagger';

export type Schema = {
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  $ref?: string;
  allOf?: Schema[];
};

export interface Param {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Schema;
}

/** One documented operation, as the fuzzer drives it. */
export interface Operation {
  key: string;
  method: string;
  /** OpenAPI template, e.g. `/v1/vms/{id}`. */
  template: string;
  params: Param[];
  body?: Schema;
}

/** Every operation of the served document under /v1 (so a new route is fuzzed without touching the fuzzer). */
export function operationsOf(doc: OpenAPIObject): Operation[] {
  const out: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(
      item as Record<string, { parameters?: Param[]; requestBody?: { content: Record<string, { schema: Schema }> } }>,
    )) {
      const method = m.toUpperCase();
      const body = op.requestBody?.content['application/json']?.schema;
      const params = (op.parameters ?? [])
        .filter((p) => p.in === 'path' || p.in === 'query')
        .map((p) => ({ name: p.name, in: p.in, required: Boolean(p.required), schema: resolve(doc, p.schema ?? {}) }));
      out.push({ key: `${method} ${template}`, method, template, params, body: body ? resolve(doc, body) : undefined });
    }
  }
  return out;
}

/** Follows `$ref` and single-entry `allOf` to the schema itself. */
export function resolve(doc: OpenAPIObject, s: Schema): Schema {
  if (s.$ref) return resolve(doc, (doc.components?.schemas ?? {})[s.$ref.split('/').pop()!] as Schema);
  if (s.allOf?.length === 1) return { ...resolve(doc, s.allOf[0]), nullable: s.nullable };
  return s;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
// API.md: text no field may carry (control characters but tab and line ends; lone surrogates).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NEVER_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\p{Cs}/u;

export function acceptsString(s: string, r: Schema): boolean {
  if (NEVER_TEXT.test(s)) return false;
  if (r.enum) return r.enum.includes(s);
  // JSON Schema counts characters (code points), as Postgres's varchar(n) does.
  const length = [...s].length;
  if (r.minLength !== undefined && length < r.minLength) return false;
  if (r.maxLength !== undefined && length > r.maxLength) return false;
  if (r.pattern && !new RegExp(r.pattern, 'u').test(s)) return false;
  if (r.format === 'uuid') return UUID_RE.test(s);
  if (r.format === 'date-time') return DATE_TIME_RE.test(s) && !Number.isNaN(Date.parse(s));
  return true;
}

function acceptsNumber(n: number, r: Schema): boolean {
  if (!Number.isFinite(n) || (r.type === 'integer' && !Number.isInteger(n))) return false;
  return (r.minimum === undefined || n >= r.minimum) && (r.maximum === undefined || n <= r.maximum) && (!r.enum || r.enum.includes(n));
}

/** Whether the document allows `value` (a parsed JSON value; `undefined` = left out) where `s` is expected. */
export function accepts(doc: OpenAPIObject, s: Schema, value: unknown, required = true): boolean {
  const r = resolve(doc, s);
  if (value === undefined) return !required;
  // class-validator's @IsOptional (our convention) takes null for an optional field as absent.
  if (value === null) return Boolean(r.nullable) || !required;
  if (r.type === 'object' || r.properties) {
    if (typeof value !== 'object' || Array.isArray(value)) return false;
    const props = r.properties ?? {};
    const v = value as Record<string, unknown>;
    if (Object.keys(v).some((k) => !Object.hasOwn(props, k))) return false;
    return Object.entries(props).every(([k, p]) => accepts(doc, p, v[k], r.required?.includes(k) ?? false));
  }
  if (r.type === 'array') {
    if (!Array.isArray(value)) return false;
    if ((r.minItems !== undefined && value.length < r.minItems) || (r.maxItems !== undefined && value.length > r.maxItems)) return false;
    if (r.uniqueItems && new Set(value.map((x) => JSON.stringify(x))).size !== value.length) return false;
    return value.every((x) => accepts(doc, r.items ?? {}, x, true));
  }
  if (r.type === 'integer' || r.type === 'number') return typeof value === 'number' && acceptsNumber(value, r);
  if (r.type === 'boolean') return typeof value === 'boolean';
  if (r.type === 'string' || r.enum || r.format) return typeof value === 'string' && acceptsString(value, r);
  return true;
}

/** Whether a query-string value fits a scalar schema: numbers in their plain decimal form only. */
export function acceptsQuery(r: Schema, raw: string): boolean {
  if (r.type === 'integer' || r.type === 'number') {
    const re = r.type === 'integer' ? /^(0|-?[1-9]\d*)$/ : /^-?(0|[1-9]\d*)(\.\d+)?$/;
    return re.test(raw) && acceptsNumber(Number(raw), r);
  }
  return acceptsString(raw, r);
}
