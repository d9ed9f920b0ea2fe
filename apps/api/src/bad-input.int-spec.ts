// Bad input on every operation of the served OpenAPI document (so a new route is fuzzed without touching this file):
// answers are never a 5xx, and every 4xx is application/problem+json with a code (API.md: "never a 500 for bad input").
// Path and body ids name real resources, so each case fails on the one thing it spoils, deep in the stack if need be.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import type { OpenAPIObject } from '@nestjs/swagger';
import {
  BAD_SEGMENTS,
  MALFORMED_BODIES,
  bodyVariants,
  invalidBodies,
  queryVariants,
  strayQueries,
  validRaw,
  type IdFor,
} from './testing/bad-input.js';
import { operationsOf, type Operation } from './testing/openapi-schema.js';
import { FuzzClient, rawExchange, type Case } from './testing/fuzz-client.js';
import { servedRoutes } from './testing/served-routes.js';
import { OPERATOR_TOKEN, startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let client: FuzzClient;
let doc: OpenAPIObject;
let ops: Operation[];
const ids: Record<string, string> = {};
/** Who gets past authorisation on each operation: the operator (acting on the fixture tenant) and/or the tenant's admin. */
const principals = new Map<string, { token: string; query: string }[]>();

// Path `{id}` names the collection before it; other names are the field's own (`tenantId`, `networkIds`, ...).
const COLLECTION: Record<string, string> = { tenants: 'tenantId', vms: 'vmId', networks: 'networkId', operations: 'operationId', pools: 'poolId' };
const idFor: IdFor = (name) => ids[name === 'networkIds' ? 'networkId' : name];

function pathOf(op: Operation, override: Record<string, string> = {}): string {
  return op.template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name in override) return override[name];
    const p = op.params.find((x) => x.in === 'path' && x.name === name)!;
    const collection = op.template.split(`/{${name}}`)[0].split('/').pop()!;
    return (name === 'id' ? ids[COLLECTION[collection] ?? ''] : idFor(name)) ?? String(p.schema.example ?? randomUUID());
  });
}

/** Valid values for an operation's required query parameters, so that the parameter under test is the only bad one. */
function baseQuery(op: Operation, skip?: string): string[] {
  return op.params
    .filter((p) => p.in === 'query' && p.required && p.name !== skip)
    .map((p) => {
      const hourAgo = new Date(Date.now() - (p.name === 'from' ? 3_600_000 : 0)).toISOString();
      const value = p.schema.format === 'date-time' ? hourAgo : (JSON.parse(validRaw(doc, p.schema, p.name, idFor)) as unknown);
      return `${p.name}=${encodeURIComponent(String(value))}`;
    });
}

/** One case per principal allowed on the operation, with the operator's `?tenantId=` where the operation takes one. */
function asEach(op: Operation, c: Omit<Case, 'op' | 'token'>, query: string[] = []): Case[] {
  return (principals.get(op.key) ?? []).map((p) => {
    const q = [...query, ...(p.query && !query.some((x) => x.startsWith('tenantId=')) ? [p.query] : [])];
    return { ...c, op: op.key, token: p.token, path: q.length ? `${c.path}?${q.join('&')}` : c.path };
  });
}

async function expectAll(cases: Case[], minimum = 1): Promise<void> {
  assert.ok(cases.length >= minimum, `only ${cases.length} cases`);
  const failures = await client.failures(cases);
  // Capped, so that a regression stays readable; the count says how far it goes.
  const shown = failures.length > 40 ? [...failures.slice(0, 40), `… and ${failures.length - 40} more`] : failures;
  assert.deepEqual(
    shown,
    [],
    `${failures.length} of ${cases.length} answers were wrong (${failures.filter((f) => / -> 5\d\d /.test(f)).length} of them 5xx)`,
  );
}

before(async () => {
  api = await startApi({ POOL_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  doc = (await api.call('GET', '/v1/openapi.json', { token: null })).body;
  client = new FuzzClient(api.url, new Set((doc.components?.schemas?.Problem as { properties: { code: { enum: string[] } } }).properties.code.enum));
  ops = operationsOf(doc).filter((o) => o.template.startsWith('/v1/'));
  const must = async (method: string, path: string, body?: unknown, token?: string) => {
    const r = await api.call(method, path, { body, token });
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  ids.tenantId = (await must('POST', '/v1/tenants', { name: 'fuzz-co' })).id;
  const key = await must('POST', `/v1/tenants/${ids.tenantId}/api-keys`, { name: 'fuzzer', role: 'admin' });
  // The key the fuzzer acts with is not the one it names in paths: a case that revokes one must not stop the run.
  ids.keyId = (await must('POST', `/v1/tenants/${ids.tenantId}/api-keys`, { name: 'target', role: 'member' })).id;
  ids.flavorId = (await must('POST', '/v1/flavors', { name: 'fz', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).id;
  ids.imageId = (await must('POST', '/v1/images', { name: 'fz', template: 'Debian Bookworm 12' })).id;
  ids.poolId = (await must('GET', '/v1/pools')).items[0].id;
  const net = await must('POST', `/v1/networks?tenantId=${ids.tenantId}`, { name: 'fz', cidr: '10.9.0.0/24' });
  ids.networkId = net.network.id;
  // No worker runs here: the network's outcome is recorded as the worker would.
  const db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  await db.query(`UPDATE networks SET status = 'active', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [ids.networkId]);
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE id = $1`, [net.operation.id]);
  await db.end();
  const vm = await must('POST', `/v1/vms?tenantId=${ids.tenantId}`, {
    name: 'fz',
    flavorId: ids.flavorId,
    imageId: ids.imageId,
    networkIds: [ids.networkId],
  });
  ids.vmId = vm.vm.id;
  ids.operationId = vm.operation.id;
  // Which principals get past authorisation: probe each operation with a body no DTO takes.
  for (const op of ops) {
    const takesTenant = op.params.some((p) => p.in === 'query' && p.name === 'tenantId');
    const candidates = [
      { token: OPERATOR_TOKEN, query: takesTenant ? `tenantId=${ids.tenantId}` : '' },
      { token: key.token as string, query: '' },
    ];
    const allowed = [];
    for (const p of candidates) {
      // Every path id malformed too, so that no handler can run (guards decide before pipes validate).
      const bad = Object.fromEntries(op.params.filter((x) => x.in === 'path').map((x) => [x.name, 'not-a-uuid']));
      const res = await client.send({
        op: op.key,
        method: op.method,
        path: `${pathOf(op, bad)}?unknownParam=1`,
        token: p.token,
        raw: op.body ? '{"__probe":1}' : undefined,
        expect: 'any',
      });
      if (res.status !== 401 && res.status !== 403) allowed.push(p);
    }
    principals.set(op.key, allowed);
  }
});
after(async () => {
  client?.close();
  await api?.close();
});

describe('bad input on every documented operation', () => {
  test('the fuzzer covers every operation of the served document, each reachable by some key', () => {
    const served = servedRoutes(api.app)
      .filter((r) => r.path.startsWith('/v1/') && r.path !== '/v1/openapi.json')
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    assert.deepEqual(ops.map((o) => o.key).sort(), served.sort());
    assert.deepEqual(
      ops.filter((o) => !principals.get(o.key)?.length).map((o) => o.key),
      [],
    );
  });

  test('malformed, truncated, oversized (1 MiB) and deeply nested JSON', async () => {
    const cases = ops.flatMap((op) =>
      MALFORMED_BODIES
        // An operation without a body ignores one that parses; those are only bad input where a body is expected.
        .filter((raw) => op.body || !parses(raw))
        .flatMap((raw) => asEach(op, { method: op.method, path: pathOf(op), raw, expect: 'reject' }, baseQuery(op))),
    );
    await expectAll(cases, 500);
  });

  test('each body field in turn: other types, limits, hostile and odd text, missing; unknown and prototype keys', async () => {
    const cases = ops
      .filter((op) => op.body)
      .flatMap((op) =>
        bodyVariants(doc, op.body!, idFor).flatMap((v) =>
          asEach(op, { method: op.method, path: pathOf(op), raw: v.raw, expect: v.reject ? 'reject' : 'any', label: v.label }, baseQuery(op)),
        ),
      );
    await expectAll(cases, 1500);
  });

  test('random bodies that break at least one field (fast-check)', async () => {
    for (const op of ops.filter((x) => x.body)) {
      const who = principals.get(op.key)!;
      await fc.assert(
        fc.asyncProperty(invalidBodies(doc, op.body!, idFor), fc.nat(who.length - 1), async (raw, i) => {
          const [c] = asEach(op, { method: op.method, path: pathOf(op), raw, expect: 'reject' }, baseQuery(op)).slice(i, i + 1);
          assert.equal(await client.check(c), null);
        }),
        { numRuns: 25, seed: 4_2025 },
      );
    }
  });

  test('path parameters that are not what the document says', async () => {
    const cases = ops.flatMap((op) =>
      op.params
        .filter((p) => p.in === 'path')
        .flatMap((p) =>
          BAD_SEGMENTS.flatMap((bad) =>
            asEach(
              op,
              { method: op.method, path: pathOf(op, { [p.name]: bad }), raw: op.body ? '{}' : undefined, expect: 'reject', label: `:${p.name}` },
              baseQuery(op),
            ),
          ),
        ),
    );
    await expectAll(cases, 500);
  });

  test('query parameters: out of range, not ids, forged cursors on every list; repeated, arrays, unknown and prototype keys', async () => {
    const cases: Case[] = [];
    for (const op of ops) {
      const raw = op.body ? validRaw(doc, op.body, '', idFor) : undefined;
      for (const p of op.params.filter((x) => x.in === 'query')) {
        for (const v of queryVariants(p))
          cases.push(
            ...asEach(op, { method: op.method, path: pathOf(op), raw, expect: v.reject ? 'reject' : 'any', label: v.label }, [
              ...baseQuery(op, p.name),
              `${p.name}=${v.raw}`,
            ]),
          );
      }
      for (const q of strayQueries(op.params))
        cases.push(...asEach(op, { method: op.method, path: pathOf(op), raw, expect: 'reject', label: q }, [...baseQuery(op), q]));
    }
    const lists = ops.filter((op) => op.params.some((p) => p.name === 'cursor'));
    assert.ok(lists.length >= 8, `only ${lists.length} list operations`);
    await expectAll(cases, 2000);
  });

  test('bodies that are not JSON answer 415, on every operation', async () => {
    const types = [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'text/xml',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/json-patch+json',
      'application/json; charset=utf-16',
      'text/json',
      '',
      'none',
    ];
    const cases = ops.flatMap((op) =>
      types.flatMap((type) =>
        asEach(
          op,
          {
            method: op.method,
            path: pathOf(op),
            raw: op.body ? validRaw(doc, op.body, '', idFor) : 'name=x',
            headers: { 'content-type': type === 'none' ? null : type },
            expect: 415,
            label: type,
          },
          baseQuery(op),
        ),
      ),
    );
    await expectAll(cases, 400);
  });

  test('bad Idempotency-Keys, and methods a path does not serve', async () => {
    const cases: Case[] = [];
    for (const op of ops.filter((x) => x.method !== 'GET')) {
      for (const key of ['x'.repeat(300), 'with space', 'tab\tinside', 'ÿ']) {
        cases.push(
          ...asEach(
            op,
            {
              method: op.method,
              path: pathOf(op),
              raw: op.body ? validRaw(doc, op.body, '', idFor) : undefined,
              headers: { 'idempotency-key': key },
              expect: 'reject',
            },
            baseQuery(op),
          ),
        );
      }
    }
    const byPath = new Map<string, Operation[]>();
    for (const op of ops) byPath.set(op.template, [...(byPath.get(op.template) ?? []), op]);
    for (const [template, here] of byPath) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'M-SEARCH'].filter(
        (m) => !here.some((o) => o.method === m),
      )) {
        cases.push({
          op: here[0].key,
          method,
          path: pathOf(here[0]),
          raw: '{}',
          token: OPERATOR_TOKEN,
          expect: 'reject',
          label: `${method} ${template}`,
        });
      }
    }
    await expectAll(cases, 50);
  });

  test("requests Node's HTTP parser refuses are answered as problems", async () => {
    const port = Number(new URL(api.url).port);
    const requests: [string, string, number][] = [
      ['no Host header', 'GET /v1/tenants HTTP/1.1\r\n\r\n', 400],
      ['header too large', `GET /v1/tenants HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      [
        'too many header bytes over many headers',
        `GET /v1/tenants HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'b'.repeat(60)}\r\n`).join('')}\r\n`,
        431,
      ],
      ['unknown method', 'FROB /v1/tenants HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['garbage request line', 'this is not http\r\n\r\n', 400],
      ['bad version', 'GET /v1/tenants HTTP/9.9\r\nHost: x\r\n\r\n', 400],
      ['space in a header name', 'GET /v1/tenants HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 400],
      ['NUL in the target', 'GET /v1/ten\u0000ants HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      [
        'content-length and chunked together',
        'POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
      ],
      [
        'bad chunk size',
        'POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
        400,
      ],
      ['two content lengths', 'POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400],
    ];
    const wrong: string[] = [];
    for (const [what, bytes, status] of requests) {
      const res = await rawExchange(port, bytes);
      const ok =
        res.status === status && /^application\/problem\+json/.test(res.type) && typeof res.body?.code === 'string' && res.body.status === status;
      if (!ok) wrong.push(`${what}: ${res.head.split('\r\n')[0]} ${res.type} ${JSON.stringify(res.body).slice(0, 120)}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal((await api.call('GET', '/v1/tenants?limit=1')).status, 200, 'the server still answers');
  });

  test('every documented operation was fuzzed', () => {
    const thin = ops.filter((o) => (client.counts.get(o.key) ?? 0) < 40).map((o) => `${o.key}: ${client.counts.get(o.key) ?? 0}`);
    assert.deepEqual(thin, []);
  });

  test('routes outside /v1 never answer 5xx to junk', async () => {
    for (const r of servedRoutes(api.app).filter((x) => !x.path.startsWith('/v1/') || x.path === '/v1/openapi.json')) {
      for (const raw of [undefined, '{', '[]']) {
        const res = await client.send({
          op: r.key,
          method: r.method,
          path: `${r.path}?limit=-1&x=%E0%A4%A&cursor=${'y'.repeat(3000)}`,
          token: null,
          raw,
          expect: 'any',
        });
        assert.ok(res.status < 500, `${r.key} ${raw ?? ''} -> ${res.status}`);
      }
    }
  });
});

/** Whether a body would be read as JSON (body-parser skips a leading BOM), so a route without a body just ignores it. */
function parses(raw: string): boolean {
  try {
    const v = JSON.parse(raw.replace(/^\ufeff/, '')) as unknown;
    return typeof v === 'object' && v !== null && raw.length < 256 * 1024;
  } catch {
    return false;
  }
}
