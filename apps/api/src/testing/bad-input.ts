// Bad inputs derived from the OpenAPI document: for each documented field, values its schema rules out.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { OpenAPIObject } from '@nestjs/swagger';

export type Schema = {
  type?: string; format?: string; enum?: unknown[]; nullable?: boolean; minimum?: number; maximum?: number; maxLength?: number;
  properties?: Record<string, Schema>; required?: string[]; items?: Schema; $ref?: string; allOf?: Schema[];
};

const HUGE = `"${'x'.repeat(100_000)}"`;
const OVERFLOW = ['1e400', '-1e400', '9007199254740993', '1e308'];

/** Follows `$ref` and single-entry `allOf` to the schema itself. */
export function resolve(doc: OpenAPIObject, s: Schema): Schema {
  if (s.$ref) return resolve(doc, (doc.components?.schemas ?? {})[s.$ref.split('/').pop()!] as Schema);
  if (s.allOf?.length === 1) return { ...resolve(doc, s.allOf[0]!), nullable: s.nullable };
  return s;
}

/** A raw JSON value the schema accepts (best effort: a base that only the mutated field spoils). */
export function validRaw(doc: OpenAPIObject, s: Schema, name = ''): string {
  const r = resolve(doc, s);
  if (r.enum) return JSON.stringify(r.enum[0]);
  if (r.type === 'object' || r.properties) return objectRaw(Object.fromEntries(Object.entries(r.properties ?? {}).map(([k, p]) => [k, validRaw(doc, p, k)])));
  if (r.type === 'array') return '[]';
  if (r.type === 'integer' || r.type === 'number') return String(Math.max(r.minimum ?? 1, 1));
  if (r.format === 'uuid') return JSON.stringify(randomUUID());
  if (name === 'url') return '"http://127.0.0.1:9"';
  return JSON.stringify(`fz${randomUUID().slice(0, 8)}`);
}

/**
 * Raw JSON values the schema rules out: wrong types, out of range, overflowing, huge, malformed ids. null only
 * for required fields: class-validator's @IsOptional (our convention) takes null for an optional field as absent.
 */
export function wrongRaws(doc: OpenAPIObject, s: Schema, required = true): string[] {
  const r = resolve(doc, s);
  const out = ['true', '{}', '[]', '{"$gt": ""}', ...(r.nullable || !required ? [] : ['null'])];
  if (r.type === 'object' || r.properties) return [...out.filter((v) => v !== '{}'), '"x"', '42'];
  if (r.type === 'array') return [...out.filter((v) => v !== '[]'), '"x"', `[${HUGE}]`, '[{}]', '[null]'];
  if (r.enum) return [...out, '"__none_of_these__"', '"NaN"', '0', HUGE];
  if (r.type === 'integer' || r.type === 'number') {
    const nums = [...OVERFLOW, '"12"', '"NaN"', '"1e400"', ...(r.type === 'integer' ? ['1.5'] : [])];
    if (r.minimum !== undefined) nums.push(String(r.minimum - 1), '-1');
    if (r.maximum !== undefined) nums.push(String(r.maximum + 1), '9007199254740992');
    return [...out, ...nums.filter((v) => !(r.minimum !== undefined && Number(v) >= r.minimum && Number(v) <= (r.maximum ?? Infinity) && Number.isInteger(Number(v))))];
  }
  const strs = [...out, '0', '-1', '1e400', HUGE];
  if (r.format === 'uuid') strs.push('"not-a-uuid"', '"NaN"', '"00000000-0000-0000-0000-00000000000g"', `"${randomUUID()}x"`, '"\'; DROP TABLE vms; --"');
  if (r.maxLength !== undefined) strs.push(JSON.stringify('x'.repeat(r.maxLength + 1)));
  return strs;
}

export function objectRaw(fields: Record<string, string>): string {
  return `{${Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** Every single-field mutation of a valid body, nested objects included. */
export function mutations(doc: OpenAPIObject, s: Schema): { path: string; raw: string }[] {
  const r = resolve(doc, s);
  const props = r.properties ?? {};
  const base = Object.fromEntries(Object.entries(props).map(([k, p]) => [k, validRaw(doc, p, k)]));
  const out: { path: string; raw: string }[] = [];
  for (const [k, p] of Object.entries(props)) {
    for (const wrong of wrongRaws(doc, p, r.required?.includes(k))) out.push({ path: k, raw: objectRaw({ ...base, [k]: wrong }) });
    const inner = resolve(doc, p);
    if (inner.properties) for (const m of mutations(doc, inner)) out.push({ path: `${k}.${m.path}`, raw: objectRaw({ ...base, [k]: m.raw }) });
  }
  for (const k of r.required ?? []) {
    const { [k]: _dropped, ...rest } = base;
    out.push({ path: `-${k}`, raw: objectRaw(rest) });
  }
  for (const extra of ['"unknownField": 1', '"__proto__": {"role": "operator"}', '"constructor": {"prototype": {"x": 1}}']) {
    out.push({ path: extra, raw: `${objectRaw(base).slice(0, -1)}${Object.keys(base).length ? ',' : ''}${extra}}` });
  }
  return out;
}

/** fast-check bodies that are invalid by construction: random values everywhere, one field surely wrong, maybe unknown keys. */
export function invalidBodies(doc: OpenAPIObject, s: Schema): fc.Arbitrary<string> {
  const r = resolve(doc, s);
  const props = Object.entries(r.properties ?? {});
  const anyRaw = fc.jsonValue().map((v) => JSON.stringify(v));
  const fields = fc.record(Object.fromEntries(props.map(([k, p]) => [k, fc.oneof(fc.constant(validRaw(doc, p, k)), anyRaw)])), { requiredKeys: [] });
  const forced = fc.constantFrom(...props).chain(([k, p]) => fc.constantFrom(...wrongRaws(doc, p, r.required?.includes(k))).map((raw) => [k, raw] as const));
  const extras = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !Object.hasOwn(r.properties ?? {}, k)), anyRaw, { maxKeys: 2 });
  return fc.tuple(fields, forced, extras).map(([f, [k, raw], x]) => objectRaw({ ...(f as Record<string, string>), [k]: raw, ...x }));
}

/** Bodies no JSON parser (or no DTO) accepts. */
export const MALFORMED_BODIES = [
  '{', '{"a":', '{"a":1,}', "{'a':1}", '{"a":1}}', '[', 'nul', 'NaN', '{"a":NaN}', '{"a":Infinity}', '{"a":undefined}', '\u0000',
  '{"a":"\\ud800"', '"just a string"', '42', 'true', 'null', '[]', '[{}]', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
  `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"a":"${'x'.repeat(300_000)}"}`,
];

/** Path segments that are not ids. */
export const BAD_IDS = [
  'not-a-uuid', '1', '-1', '0', '1e400', 'NaN', '9007199254740993', '00000000-0000-0000-0000-00000000000g', `${randomUUID()}x`,
  'x'.repeat(4000), '%00', '%E0%A4%A', '%FF', '..%2F..%2Fetc%2Fpasswd', "'%20OR%20'1'%3D'1", '%7B%7D', '%20', 'null', 'undefined',
];

/** Query values that break each kind of documented query parameter. */
export function badQueryValues(s: Schema): string[] {
  if (s.type === 'number' || s.type === 'integer') return ['-1', '0', '1e400', '9007199254740993', 'NaN', 'abc', '1.5', String((s.maximum ?? 1e9) + 1), '%00', '%E0%A4%A'];
  if (s.format === 'uuid') return ['nope', "'%20OR%201%3D1", '%00', '%E0%A4%A', 'x'.repeat(4000), `${randomUUID()}x`];
  return ['garbage', 'x'.repeat(4000), Buffer.from(`not-a-date|${randomUUID()}`).toString('base64url'),
    Buffer.from(`${new Date().toISOString()}|nope`).toString('base64url'), Buffer.from('+275760-09-13T00:00:00.001Z|00000000-0000-0000-0000-000000000000').toString('base64url'), '%00', '%E0%A4%A'];
}
