// The checked-in types are those of the document the API serves now: a route or DTO change without
// `npm run client:generate` fails here (CI), so the client, the CLI and the tests never drift from the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { repoRoot } from '@xenplane/testing';

interface Generator {
  schemaPath: URL;
  renderSchema(doc: unknown): Promise<string>;
  servedDocument(): Promise<unknown>;
}

test('libs/client/src/schema.ts is what `npm run client:generate` writes from the served OpenAPI document', { timeout: 120_000 }, async () => {
  const gen = (await import(`${repoRoot}scripts/client-generate.mjs`)) as Generator;
  const fresh = await gen.renderSchema(await gen.servedDocument());
  const checkedIn = readFileSync(gen.schemaPath, 'utf8');
  assert.ok(fresh.includes('"/v1/vms/{id}/actions"'), 'the generated types cover the VM routes');
  assert.equal(checkedIn, fresh, 'libs/client/src/schema.ts is stale: run `npm run client:generate` and commit it');
});
