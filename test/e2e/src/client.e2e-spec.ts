// @xenplane/client against the real stack: typed problems, cursor pages, Idempotency-Key replays, operation progress.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiError,
  createXenplaneClient,
  idempotencyKey,
  listAll,
  must,
  OperationFailedError,
  waitForOperation,
  type Operation,
} from '@xenplane/client';
import { simFault } from '@xenplane/testing';
import { OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

test('problems become ApiError with code, status, detail and the validation fields', async () => {
  const anonymous = createXenplaneClient({ baseUrl: stack.api.url, token: 'not-a-key' });
  await assert.rejects(anonymous.GET('/v1/flavors'), (e: unknown) => e instanceof ApiError && e.status === 401 && e.code === 'unauthenticated');
  const op = createXenplaneClient({ baseUrl: stack.api.url, token: OPERATOR_TOKEN });
  await assert.rejects(
    op.POST('/v1/flavors', { body: { name: '', vcpus: 0, memoryMiB: 1, diskGiB: 1 } }),
    (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === 'validation_failed' && e.fields.some((f) => f.path === 'vcpus'),
  );
});

test('listAll follows nextCursor across pages; an Idempotency-Key replays the first answer', async () => {
  const op = createXenplaneClient({ baseUrl: stack.api.url, token: OPERATOR_TOKEN });
  const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
  for (const name of names) await op.POST('/v1/flavors', { body: { name, vcpus: 1, memoryMiB: 512, diskGiB: 10 } });
  let pages = 0;
  const all = await listAll(async (cursor) => {
    pages++;
    return must(await op.GET('/v1/flavors', { params: { query: { limit: 2, cursor } } }));
  });
  assert.deepEqual(
    all
      .map((f) => f.name)
      .filter((n) => names.includes(n))
      .sort(),
    names,
  );
  assert.ok(pages >= 3, `5 flavors in pages of 2 take 3 pages, took ${String(pages)}`);

  const key = idempotencyKey();
  const body = { name: 'idem-tenant' };
  const first = must(await op.POST('/v1/tenants', { body, headers: key }));
  const again = must(await op.POST('/v1/tenants', { body, headers: key }));
  assert.equal(again.id, first.id);
});

test('waitForOperation reports each step and throws OperationFailedError with the operation’s code', { timeout: 120_000 }, async () => {
  const op = createXenplaneClient({ baseUrl: stack.api.url, token: OPERATOR_TOKEN, idempotency: true });
  const tenant = must(await op.POST('/v1/tenants', { body: { name: 'waiter' } }));
  const key = must(
    await op.POST('/v1/tenants/{tenantId}/api-keys', { params: { path: { tenantId: tenant.id } }, body: { name: 'k', role: 'admin' } }),
  );
  const flavor = must(await op.POST('/v1/flavors', { body: { name: 'w1', vcpus: 1, memoryMiB: 512, diskGiB: 10 } }));
  const image = must(await op.POST('/v1/images', { body: { name: 'w-img', template: 'Debian Bookworm 12', configDrive: 'nocloud' } }));
  const me = createXenplaneClient({ baseUrl: stack.api.url, token: key.token!, idempotency: true });
  const created = must(await me.POST('/v1/vms', { body: { name: 'w', flavorId: flavor.id, imageId: image.id } }));
  const seen: Operation[] = [];
  const done = await waitForOperation(me, created.operation.id, { onProgress: (o) => seen.push(o), intervalMs: 100 });
  assert.equal(done.status, 'succeeded');
  assert.equal(seen.at(-1)?.status, 'succeeded');
  assert.ok(
    seen.some((o) => o.step !== null),
    `progress carried steps: ${JSON.stringify(seen.map((o) => o.step))}`,
  );

  // A terminal XAPI failure (SR_FULL while provisioning) ends the create `failed`, compensated.
  await simFault(stack.sim, { method: 'VM.provision', code: 'SR_FULL', params: ['0', '0'], times: 1 });
  const doomed = must(await me.POST('/v1/vms', { body: { name: 'doomed', flavorId: flavor.id, imageId: image.id } }));
  await assert.rejects(
    waitForOperation(me, doomed.operation.id, { intervalMs: 100 }),
    (e: unknown) => e instanceof OperationFailedError && e.code.length > 0,
  );
});

test('waitForOperation follows the event stream: one read per change, no polling', { timeout: 120_000 }, async () => {
  const op = createXenplaneClient({ baseUrl: stack.api.url, token: OPERATOR_TOKEN });
  const tenant = must(await op.POST('/v1/tenants', { body: { name: 'stream-waiter' } }));
  const key = must(
    await op.POST('/v1/tenants/{tenantId}/api-keys', { params: { path: { tenantId: tenant.id } }, body: { name: 'k', role: 'admin' } }),
  );
  const calls: string[] = [];
  const counting: typeof fetch = (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    calls.push(`${req.method} ${new URL(req.url).pathname}`);
    return fetch(input, init);
  };
  const me = createXenplaneClient({ baseUrl: stack.api.url, token: key.token!, fetch: counting });
  const made = must(await me.POST('/v1/networks', { body: { name: 'streamed', cidr: '10.61.0.0/24' } }));
  const seen: Operation[] = [];
  // An hour between polls: only the stream can end this wait within the test's timeout.
  const done = await waitForOperation(me, made.operation.id, { intervalMs: 3_600_000, onProgress: (o) => seen.push(o) });
  assert.equal(done.status, 'succeeded');
  assert.ok(calls.includes('GET /v1/events'), calls.join(', '));
  const reads = calls.filter((c) => c === `GET /v1/operations/${made.operation.id}`).length;
  assert.ok(reads <= 6, `one read at start and one per announced change, not a poll loop: ${String(reads)}`);
});
