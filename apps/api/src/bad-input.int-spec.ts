// Bad input on every served route, generated from the router and the OpenAPI document: every answer must be a
// 4xx application/problem+json with a code, never a 500 (API.md: "never a 500 for bad input").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import { BAD_IDS, MALFORMED_BODIES, badQueryValues, invalidBodies, mutations, type Schema } from './testing/bad-input.js';
import { apiRoutes, operationOf, servedRoutes, type ServedRoute } from './testing/served-routes.js';
import { OPERATOR_TOKEN, startApi, type ApiHarness } from './testing/api-harness.js';

interface Case { route: string; method: string; path: string; raw?: string; token?: string | null; headers?: Record<string, string> }
type Route = ServedRoute & { body?: Schema; required: string[]; query: { name: string; schema: Schema }[] };

let api: ApiHarness;
let tenantAdmin: string;
let routes: Route[];
const tokens = () => [OPERATOR_TOKEN, tenantAdmin];
const withIds = (r: ServedRoute) => r.path.replace(/:(\w+)/g, () => randomUUID());

before(async () => {
  api = await startApi({ POOL_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  const t = await api.call('POST', '/v1/tenants', { body: { name: 'fuzz-co' } });
  tenantAdmin = (await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'a', role: 'admin' } })).body.token;
  routes = apiRoutes(api.app).map((r) => {
    const op = operationOf(api.openapi, r);
    const body = op.requestBody?.content['application/json']?.schema as Schema | undefined;
    const ref = body?.$ref ? (api.openapi.components?.schemas?.[body.$ref.split('/').pop()!] as Schema) : body;
    const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: (p.schema ?? {}) as Schema }));
    return { ...r, body, required: ref?.required ?? [], query };
  });
});
after(async () => {
  agent.destroy();
  await api?.close();
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** Plain node:http, since fetch refuses a body on GET and normalises odd paths. */
function send(c: Case): Promise<{ status: number; type: string; body: any }> {
  const headers: Record<string, string> = { ...(c.raw === undefined ? {} : { 'content-type': 'application/json' }), ...c.headers };
  const token = c.token === undefined ? OPERATOR_TOKEN : c.token;
  if (token) headers.authorization = `Bearer ${token}`;
  // Explicit, because node frames a GET or DELETE body only when told its length.
  if (c.raw !== undefined) headers['content-length'] = String(Buffer.byteLength(c.raw));
  return new Promise((resolve, reject) => {
    const req = http.request(`${api.url}${c.path}`, { method: c.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* not JSON: reported as is */ }
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body });
      });
    });
    req.on('error', reject);
    req.end(c.raw);
  });
}

/** Sends one case; returns what was wrong with the answer, or null. */
async function check(c: Case): Promise<string | null> {
  const res = await send(c);
  const type = res.type;
  const ok = res.status >= 400 && res.status < 500 && /^application\/problem\+json/.test(type) && typeof res.body?.code === 'string';
  if (ok) return null;
  return `${c.method} ${c.path.slice(0, 120)} [${c.route}] body=${(c.raw ?? '').slice(0, 80)} -> ${res.status} ${type} ${JSON.stringify(res.body).slice(0, 160)}`;
}

/** Runs cases a few at a time and fails once, listing every bad answer. */
async function expectAllProblems(cases: Case[]): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < cases.length) {
      const failure = await check(cases[next++]!);
      if (failure) failures.push(failure);
    }
  }));
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} answers were not 4xx problems`);
}

const parses = (raw: string) => {
  try {
    const v = JSON.parse(raw) as unknown;
    return typeof v === 'object' && v !== null && raw.length < 256 * 1024;
  } catch {
    return false;
  }
};

describe('bad input on every route', () => {
  test('malformed, truncated, oversized and deeply nested JSON', async () => {
    const cases: Case[] = [];
    for (const r of routes) {
      // A route without a body ignores one that parses; those are only bad input where a body is expected.
      for (const raw of MALFORMED_BODIES.filter((b) => r.body || !parses(b))) {
        for (const token of r.body ? tokens() : [OPERATOR_TOKEN]) cases.push({ route: r.key, method: r.method, path: withIds(r), raw, token });
      }
    }
    await expectAllProblems(cases);
  });

  test('each body field in turn: wrong types, out of range, overflowing, huge, missing; unknown fields', async () => {
    const cases: Case[] = [];
    for (const r of routes.filter((x) => x.body)) {
      for (const m of mutations(api.openapi, r.body!)) {
        for (const token of tokens()) cases.push({ route: `${r.key} ${m.path}`, method: r.method, path: withIds(r), raw: m.raw, token });
      }
    }
    assert.ok(cases.length > 300, `only ${cases.length} cases`);
    await expectAllProblems(cases);
  });

  test('random bodies that break at least one field (fast-check)', async () => {
    for (const r of routes.filter((x) => x.body)) {
      await fc.assert(
        fc.asyncProperty(invalidBodies(api.openapi, r.body!), fc.boolean(), async (raw, asOperator) => {
          const failure = await check({ route: r.key, method: r.method, path: withIds(r), raw, token: asOperator ? OPERATOR_TOKEN : tenantAdmin });
          assert.equal(failure, null);
        }),
        { numRuns: 30, seed: 4_2025 },
      );
    }
  });

  test('ids in the path that are not UUIDs', async () => {
    const cases: Case[] = [];
    for (const r of routes.filter((x) => x.params.length)) {
      for (const param of r.params) {
        for (const bad of BAD_IDS) {
          const path = r.path.replace(/:(\w+)/g, (_, name: string) => (name === param ? bad : randomUUID()));
          const raw = r.body ? '{}' : undefined;
          for (const token of tokens()) cases.push({ route: `${r.key} :${param}`, method: r.method, path, raw, token });
        }
      }
    }
    await expectAllProblems(cases);
  });

  test('query parameters out of range, not ids, forged cursors, repeated or unknown', async () => {
    const cases: Case[] = [];
    for (const r of routes.filter((x) => x.query.length)) {
      const queries = r.query.flatMap((q) => badQueryValues(q.schema).map((v) => `${q.name}=${v}`));
      queries.push('unknownParam=1', `${r.query[0]!.name}[]=x`, `${r.query[0]!.name}=a&${r.query[0]!.name}=b`);
      for (const q of queries) {
        for (const token of tokens()) cases.push({ route: r.key, method: r.method, path: `${withIds(r)}?${q}`, raw: r.body ? '{}' : undefined, token });
      }
    }
    await expectAllProblems(cases);
  });

  test('bodies that are not JSON, bad Idempotency-Keys, and methods a path does not serve', async () => {
    const cases: Case[] = [];
    for (const r of routes.filter((x) => x.body && x.required.length)) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x']) {
        cases.push({ route: r.key, method: r.method, path: withIds(r), raw: 'name=x&role=admin', headers: { 'content-type': type } });
      }
    }
    for (const r of routes.filter((x) => x.method !== 'GET')) {
      for (const key of ['x'.repeat(300), 'with space', 'tab\tinside', 'ÿ']) {
        cases.push({ route: r.key, method: r.method, path: withIds(r), raw: '{}', headers: { 'idempotency-key': key } });
      }
    }
    const byPath = new Map<string, Set<string>>();
    for (const r of routes) byPath.set(r.path, (byPath.get(r.path) ?? new Set()).add(r.method));
    for (const [path, methods] of byPath) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !methods.has(m))) {
        cases.push({ route: `${method} ${path}`, method, path: path.replace(/:(\w+)/g, () => randomUUID()), raw: '{}' });
      }
    }
    await expectAllProblems(cases);
  });

  test('routes outside /v1 never answer 5xx to junk', async () => {
    for (const r of servedRoutes(api.app).filter((x) => !x.path.startsWith('/v1/') || x.path === '/v1/openapi.json')) {
      for (const raw of [undefined, '{', '[]']) {
        const res = await send({ route: r.key, method: r.method, path: `${r.path}?limit=-1&x=%E0%A4%A&cursor=${'y'.repeat(3000)}`, token: null, raw });
        assert.ok(res.status < 500, `${r.key} ${raw ?? ''} -> ${res.status}`);
      }
    }
  });
});
