// The served OpenAPI document says what the API does: every operation has a summary, a description, its declared
// error codes (ApiDoc) with a problem+json response for each, Idempotency-Key where it applies; and two independent
// linters (Spectral's spectral:oas, Redocly's recommended) find nothing in it. A route added without ApiDoc fails here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ERROR_STATUS, type ErrorCode } from '@xenplane/core';
import { repoRoot } from '@xenplane/testing';
import { apiRoutes, operationOf } from './testing/served-routes.js';
import { startApi, type ApiHarness } from './testing/api-harness.js';

const run = promisify(execFile);
let api: ApiHarness;
let dir: string;
let file: string;
let doc: any;
before(async () => {
  api = await startApi();
  dir = mkdtempSync(join(tmpdir(), 'xenplane-openapi-'));
  file = join(dir, 'openapi.json');
  const served = await fetch(`${api.url}/v1/openapi.json`);
  assert.equal(served.status, 200);
  doc = await served.json();
  writeFileSync(file, JSON.stringify(doc));
});
after(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

test('every served operation has a summary, a description and a problem response for each code it can answer', () => {
  const faults: string[] = [];
  for (const route of apiRoutes(api.app)) {
    const op = operationOf(doc, route) as any;
    const where = route.key;
    if (typeof op.summary !== 'string' || op.summary.length < 5) faults.push(`${where}: no summary`);
    if (typeof op.description !== 'string' || op.description.length < 20) faults.push(`${where}: no description`);
    const codes = op['x-error-codes'] as ErrorCode[] | undefined;
    if (!Array.isArray(codes) || codes.length === 0) {
      faults.push(`${where}: no error codes (declare them with @ApiDoc)`);
      continue;
    }
    for (const code of codes) {
      const response = op.responses?.[String(ERROR_STATUS[code])];
      const media = response?.content?.['application/problem+json'];
      if (media?.schema?.$ref !== '#/components/schemas/Problem') faults.push(`${where}: ${code} has no problem+json response`);
      else if (!media.examples?.[code]?.$ref || !doc.components.examples[media.examples[code].$ref.split('/').pop()])
        faults.push(`${where}: ${code} has no example`);
    }
    const must = (code: ErrorCode, why: boolean) => why && !codes.includes(code) && faults.push(`${where}: ${code} missing`);
    must('unauthenticated', Boolean(op.security?.length));
    must('not_found', route.params.length > 0);
    must('unsupported_media_type', Boolean(op.requestBody));
    must('idempotency_key_reused', MUTATING.has(route.method));
    const idempotencyKey = (op.parameters ?? []).some((p: any) => p.$ref === '#/components/parameters/IdempotencyKey');
    if (idempotencyKey !== MUTATING.has(route.method))
      faults.push(`${where}: Idempotency-Key ${idempotencyKey ? 'documented on a read' : 'not documented'}`);
  }
  assert.deepEqual(faults, []);
  assert.match(doc.components.securitySchemes.bearer.bearerFormat, /^xpk_/);
  assert.deepEqual(doc.components.schemas.Problem.required, ['type', 'title', 'status', 'detail', 'code']);
});

test('the served document has no error and no warning for Spectral (spectral:oas)', { timeout: 120_000 }, async () => {
  const out = join(dir, 'spectral.json');
  const spectral = join(repoRoot, 'node_modules/.bin/spectral');
  const ruleset = join(repoRoot, '.spectral.yaml');
  await run(spectral, ['lint', '-r', ruleset, file, '-f', 'json', '-o', out, '--fail-severity', 'hint'], { cwd: repoRoot }).catch(() => undefined);
  const results = JSON.parse(readFileSync(out, 'utf8')) as { code: string; message: string; path: string[] }[];
  assert.deepEqual(
    results.map((r) => `${r.code}: ${r.message} at ${r.path.join('.')}`),
    [],
  );
});

test('the served document has no error and no warning for Redocly (recommended)', { timeout: 120_000 }, async () => {
  const redocly = join(repoRoot, 'node_modules/.bin/redocly');
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  const { stdout } = await run(redocly, ['lint', file, '--extends=recommended', '--format=json'], { cwd: dir, env }).catch(
    (err: { stdout: string }) => ({ stdout: err.stdout }),
  );
  const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
  assert.deepEqual(
    report.problems.map((p) => `${p.ruleId}: ${p.message}`),
    [],
  );
  assert.deepEqual([report.totals.errors, report.totals.warnings], [0, 0]);
});
