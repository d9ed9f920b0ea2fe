// Inputs derived from the OpenAPI document: for each documented field and parameter, odd and hostile values, each
// marked with whether the document rules it out (then the answer must be a 4xx) or allows it (never a 5xx).
import { randomUUID } from 'node:crypto';
import { unescape } from 'node:querystring';
import fc from 'fast-check';
import type { OpenAPIObject } from '@nestjs/swagger';
import { accepts, acceptsQuery, resolve, type Param, type Schema } from './openapi-schema.js';

export interface Variant {
  label: string;
  raw: string;
  reject: boolean;
}
/** Ids of real resources by field or parameter name (`tenantId`, `flavorId`, `networkIds`, ...). */
export type IdFor = (name: string) => string | undefined;

const S = (v: unknown) => JSON.stringify(v);
const HUGE = 'x'.repeat(100_000);
const GENERIC = ['true', 'false', '{}', '[]', 'null', '42', '"x"', '""', '{"$gt": ""}', '[null]'];
const NUMBERS = [
  '0',
  '-1',
  '1',
  '-0',
  '0.1',
  '1.5',
  '2147483647',
  '2147483648',
  '-2147483649',
  '9007199254740991',
  '9007199254740993',
  '1e308',
  '-1e308',
  '1e400',
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"12"',
  '"0x10"',
  '"1e3"',
];
/** Text no field may hold, and odd but well-formed text that only a field's own rules may refuse. */
export const HOSTILE_TEXT = ['a\u0000b', '\u0000', 'x\ud800', '\udc00x', '\ud83d', 'a\u0007b', 'esc\u001b[31m', 'c1\u009bx', 'del\u007f'];
export const ODD_TEXT = [
  'evil\u202egnp.exe',
  '\u2066x\u2069',
  'a\u200fb',
  'a\u061cb',
  'tab\there',
  'line\nbreak',
  'cr\r\nlf',
  'ls\u2028ps\u2029',
  '🚀 emoji 👩‍💻🇫🇷',
  'zero\u200bwidth',
  'مرحبا',
  'e\u0301',
  '\ufeffbom',
  '\uffff',
  ' ',
  ' padded ',
  "'; DROP TABLE vms; --",
  '${7*7}{{7*7}}',
  '../../etc/passwd',
  '%00',
  HUGE,
];
const UUIDISH = [
  'not-a-uuid',
  '-'.repeat(36),
  '00000000-0000-0000-0000-00000000000g',
  `${randomUUID()}x`,
  `{${randomUUID()}}`,
  randomUUID().replace(/-/g, ''),
  '00000000-0000-0000-0000-000000000000',
  randomUUID().toUpperCase(),
  'NaN',
];
const DATES = [
  '2026-13-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '-271821-04-20T00:00:00.000Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.001Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '1969-12-31T23:59:59Z',
  '2026-01-01',
  '2026-01-01T00:00:00',
  '2026-01-01T25:00:00Z',
  'yesterday',
  '1700000000',
];

/** A value the schema accepts (best effort: a base that only the mutated field spoils), as raw JSON. */
export function validRaw(doc: OpenAPIObject, s: Schema, name: string, idFor: IdFor): string {
  const r = resolve(doc, s);
  if (r.enum) return S(r.enum[0]);
  if (r.type === 'object' || r.properties) return objectRaw(validFields(doc, r, idFor));
  if (r.type === 'array') return `[${validItems(doc, r, name, idFor).join(',')}]`;
  if (r.type === 'integer' || r.type === 'number') return String(r.example ?? Math.max(r.minimum ?? 1, 1));
  if (r.format === 'uuid') return S(idFor(name) ?? randomUUID());
  if (r.format === 'date-time') return S(new Date().toISOString());
  if (name !== 'name' && r.example !== undefined) return S(r.example);
  return S(`fz${randomUUID().slice(0, 8)}`);
}

function validFields(doc: OpenAPIObject, r: Schema, idFor: IdFor): Record<string, string> {
  return Object.fromEntries(Object.entries(r.properties ?? {}).map(([k, p]) => [k, validRaw(doc, p, k, idFor)]));
}

/** Array items: a real id for id lists; one item per value of an enum field (e.g. a price per sku). */
function validItems(doc: OpenAPIObject, r: Schema, name: string, idFor: IdFor): string[] {
  const item = resolve(doc, r.items ?? {});
  const id = idFor(name);
  if (item.format === 'uuid') return id ? [S(id)] : [];
  const keyed = Object.entries(item.properties ?? {}).find(([, p]) => resolve(doc, p).enum);
  if (!keyed) return [];
  return resolve(doc, keyed[1]).enum!.map((v) => objectRaw({ ...validFields(doc, item, idFor), [keyed[0]]: S(v) }));
}

export function objectRaw(fields: Record<string, string>): string {
  return `{${Object.entries(fields)
    .map(([k, v]) => `${S(k)}:${v}`)
    .join(',')}}`;
}

/** Raw JSON values to try where `s` is expected: other types, limits, hostile and odd text, malformed ids and dates. */
export function fieldValues(doc: OpenAPIObject, s: Schema, name: string, idFor: IdFor): string[] {
  const r = resolve(doc, s);
  const out = [...GENERIC];
  if (r.type === 'integer' || r.type === 'number') {
    out.push(...NUMBERS);
    for (const edge of [r.minimum, r.maximum]) if (edge !== undefined) out.push(String(edge - 1), String(edge), String(edge + 1));
  } else if (r.type === 'array') {
    const items = validItems(doc, r, name, idFor);
    out.push(
      '[{}]',
      '[[]]',
      '["x"]',
      '[1]',
      `[${S(HUGE)}]`,
      ...HOSTILE_TEXT.map((t) => `[${S(t)}]`),
      `[${Array(100).fill(S(randomUUID())).join(',')}]`,
    );
    if (items.length) out.push(`[${[...items, items[0]].join(',')}]`, `[${items.slice(1).join(',')}]`);
  } else if (r.type === 'object' || r.properties) {
    out.push('"x"', '{"unknown": 1}');
  } else {
    out.push(...[...HOSTILE_TEXT, ...ODD_TEXT].map(S));
    if (r.enum) out.push(S('__none_of_these__'), ...r.enum.map((e) => S(String(e).toUpperCase())), ...r.enum.map((e) => S(` ${String(e)}`)));
    if (r.format === 'uuid') out.push(...UUIDISH.map(S));
    if (r.format === 'date-time') out.push(...DATES.map(S));
    if (r.maxLength !== undefined) out.push(S('x'.repeat(r.maxLength)), S('x'.repeat(r.maxLength + 1)), S('🚀'.repeat(r.maxLength)));
  }
  return [...new Set(out)];
}

/** Every single-field change of a valid body (nested objects and the first array item included), dropped fields, unknown keys. */
export function bodyVariants(doc: OpenAPIObject, s: Schema, idFor: IdFor): Variant[] {
  const r = resolve(doc, s);
  const base = validFields(doc, r, idFor);
  const out: Variant[] = [];
  for (const [k, p] of Object.entries(r.properties ?? {})) {
    const required = r.required?.includes(k) ?? false;
    for (const raw of fieldValues(doc, p, k, idFor)) {
      out.push({ label: `${k}=${raw.slice(0, 40)}`, raw: objectRaw({ ...base, [k]: raw }), reject: !accepts(doc, p, JSON.parse(raw), required) });
    }
    const inner = resolve(doc, p);
    if (inner.properties) {
      for (const v of bodyVariants(doc, inner, idFor)) out.push({ ...v, label: `${k}.${v.label}`, raw: objectRaw({ ...base, [k]: v.raw }) });
    }
    const items = inner.type === 'array' ? validItems(doc, inner, k, idFor) : [];
    const item = resolve(doc, inner.items ?? {});
    if (items.length && item.properties) {
      for (const v of bodyVariants(doc, item, idFor))
        out.push({ ...v, label: `${k}.0.${v.label}`, raw: objectRaw({ ...base, [k]: `[${[v.raw, ...items.slice(1)].join(',')}]` }) });
    }
  }
  for (const k of r.required ?? []) {
    const { [k]: _dropped, ...rest } = base;
    out.push({ label: `-${k}`, raw: objectRaw(rest), reject: true });
  }
  for (const extra of ['"unknownField": 1', '"__proto__": {"role": "operator"}', '"constructor": {"prototype": {"x": 1}}', '"prototype": {}']) {
    out.push({ label: extra, raw: `${objectRaw(base).slice(0, -1)}${Object.keys(base).length ? ',' : ''}${extra}}`, reject: true });
  }
  return out;
}

/** fast-check bodies that are invalid by construction: random values everywhere, one field surely wrong, maybe unknown keys. */
export function invalidBodies(doc: OpenAPIObject, s: Schema, idFor: IdFor): fc.Arbitrary<string> {
  const r = resolve(doc, s);
  const props = Object.entries(r.properties ?? {});
  const anyRaw = fc.jsonValue().map((v) => S(v));
  const fields = fc.record(Object.fromEntries(props.map(([k, p]) => [k, fc.oneof(fc.constant(validRaw(doc, p, k, idFor)), anyRaw)])), {
    requiredKeys: [],
  });
  const wrong = props.flatMap(([k, p]) =>
    fieldValues(doc, p, k, idFor)
      .filter((raw) => !accepts(doc, p, JSON.parse(raw), r.required?.includes(k)))
      .map((raw) => [k, raw] as const),
  );
  const extras = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !Object.hasOwn(r.properties ?? {}, k)),
    anyRaw,
    { maxKeys: 2 },
  );
  return fc
    .tuple(fields, fc.constantFrom(...wrong), extras)
    .map(([f, [k, raw], x]) => objectRaw({ ...(f as Record<string, string>), [k]: raw, ...x }));
}

/** Bodies no JSON parser (or no DTO) accepts. */
export const MALFORMED_BODIES = [
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '{"a":1}}',
  '[',
  'nul',
  'NaN',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":undefined}',
  '\u0000',
  '\ufeff{}',
  '{"a":"\\ud800"',
  '"just a string"',
  '42',
  'true',
  'null',
  '[]',
  '[{}]',
  `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `{"a":"${'x'.repeat(300_000)}"}`,
  `{"a":"${'x'.repeat(1_048_576)}"}`,
];

const cursorOf = (s: string) => Buffer.from(s).toString('base64url');
const NIL = '00000000-0000-0000-0000-000000000000';

/** Forged cursors, each marked by whether a cursor of that shape could ever have been issued (only those may pass). */
function cursorVariants(): Variant[] {
  const now = new Date().toISOString();
  const id = randomUUID();
  const forged = [
    'garbage',
    '',
    'x'.repeat(4000),
    '%00',
    'Pz4/Pg==',
    cursorOf(`${now}|${'-'.repeat(36)}`),
    cursorOf(`${now}|${'f'.repeat(36)}`),
    cursorOf(`-271821-04-20T00:00:00.000Z|${NIL}`),
    cursorOf(`+275760-09-13T00:00:00.000Z|${NIL}`),
    cursorOf(`+275760-09-13T00:00:00.001Z|${NIL}`),
    cursorOf(`2026-02-30T00:00:00.000Z|${id}`),
    cursorOf(`${now}|${id}|x`),
    cursorOf(now),
    cursorOf('|'),
    cursorOf(`${now}|${id.toUpperCase()}`),
    cursorOf(`${now}|${id}\u0000`),
    cursorOf(`1e400|${id}`),
    cursorOf(`NaN|${id}`),
    cursorOf(`2026-01-01T00:00:00Z|${id}`),
    `${cursorOf(`${now}|${id}`)}==`,
    cursorOf(`${now}|${id}`).replace(/.$/, '%FF'),
    cursorOf(`\ud800|${id}`),
  ];
  const fine = [cursorOf(`${now}|${id}`), cursorOf(`0000-01-01T00:00:00.000Z|${NIL}`), cursorOf(`9999-12-31T23:59:59.999Z|${id}`)];
  return [
    ...forged.map((raw) => ({ label: `cursor ${raw.slice(0, 30)}`, raw, reject: true })),
    ...fine.map((raw) => ({ label: 'cursor (well-formed)', raw, reject: false })),
  ];
}

/** Encoded query values for one documented parameter, marked by whether the document rules them out. */
export function queryVariants(p: Param): Variant[] {
  if (p.name === 'cursor') return cursorVariants();
  // A repeatable parameter (an array, form-exploded) takes each value as one of its items.
  const r = p.schema.type === 'array' ? (p.schema.items ?? {}) : p.schema;
  const raws = [
    '',
    'x',
    '%00',
    '%07',
    '%E2%80%AE',
    '%ED%A0%80',
    '%C0%80',
    '%FF',
    '%E0%A4%A',
    'x'.repeat(4000),
    "'%20OR%201%3D1",
    '%20',
    'null',
    'undefined',
    'true',
    '[]',
    '{}',
  ];
  if (r.type === 'integer' || r.type === 'number') {
    raws.push(
      '-1',
      '0',
      '1',
      '1.5',
      '1e2',
      '1e308',
      '1e400',
      '0x10',
      '%2B5',
      '05',
      '%205',
      '5%20',
      'NaN',
      'Infinity',
      '2147483648',
      '9007199254740993',
      '-0',
    );
    for (const edge of [r.minimum, r.maximum]) if (edge !== undefined) raws.push(String(edge - 1), String(edge), String(edge + 1));
  }
  if (r.format === 'uuid') raws.push(...UUIDISH.map(encodeURIComponent));
  if (r.format === 'date-time') raws.push(...DATES.map(encodeURIComponent));
  if (r.enum) raws.push(...r.enum.map((e) => String(e).toUpperCase()), '__none__');
  if (r.example !== undefined) raws.push(encodeURIComponent(String(r.example)));
  return [...new Set(raws)].map((raw) => ({ label: `${p.name}=${raw.slice(0, 30)}`, raw, reject: !acceptsQuery(r, unescape(raw)) }));
}

/** Query strings that are never allowed: unknown keys, prototype keys, arrays and repeats where one value is expected. */
export function strayQueries(params: Param[]): string[] {
  const out = [
    'unknownParam=1',
    '__proto__=x',
    '__proto__[role]=operator',
    'constructor=x',
    'constructor[prototype][x]=1',
    'prototype=1',
    'access_token=x',
    '%00=1',
  ];
  for (const p of params.filter((x) => x.in === 'query')) {
    const repeatable = p.schema.type === 'array';
    const s = repeatable ? (p.schema.items ?? {}) : p.schema;
    const v = encodeURIComponent(String(s.example ?? s.enum?.[0] ?? (s.type === 'integer' || s.type === 'number' ? 5 : 'x')));
    // A documented array parameter is repeated by design (form, exploded); every other shape stays refused.
    if (!repeatable) out.push(`${p.name}=${v}&${p.name}=${v}`);
    out.push(`${p.name}[]=${v}`, `${p.name}[0]=${v}`, `${p.name}[a]=${v}`, `${p.name.toUpperCase()}=${v}`);
  }
  return out;
}

/** Path segments that are not ids (or not what a path parameter documents). */
export const BAD_SEGMENTS = [
  'not-a-uuid',
  '1',
  '-1',
  '0',
  '1e400',
  'NaN',
  '9007199254740993',
  '-'.repeat(36),
  '00000000-0000-0000-0000-00000000000g',
  `${randomUUID()}x`,
  'x'.repeat(4000),
  '%00',
  '%E0%A4%A',
  '%FF',
  '%ED%A0%80',
  '%E2%80%AE',
  '..%2F..%2Fetc%2Fpasswd',
  "'%20OR%20'1'%3D'1",
  '%7B%7D',
  '%20',
  'null',
  'undefined',
  '__proto__',
  'constructor',
];
