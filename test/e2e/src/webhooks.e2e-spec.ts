// Webhooks over the real processes (issue 19): a receiver that checks every signature, goes down (connections
// refused) while events happen, comes back and then gets every event, in the stream's order; one that never comes
// back is marked failed once its retry window (shortened here, a day by default) has passed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { verifyWebhookSignature } from '@xenplane/core';
import { eventually, freePort } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

interface Delivered {
  id: number;
  type: string;
  resourceId: string;
}

/** A receiver on a fixed port that can be taken down (refusing connections) and brought back. */
class Receiver {
  readonly got: Delivered[] = [];
  badSignatures = 0;
  private server?: http.Server;
  constructor(
    readonly port: number,
    private readonly secret: () => string,
  ) {}

  up(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const sig = String(req.headers['x-xenplane-signature'] ?? '');
        if (!verifyWebhookSignature(this.secret(), sig, body, Math.floor(Date.now() / 1000))) {
          this.badSignatures++;
          res.writeHead(401).end();
          return;
        }
        const e = JSON.parse(body) as Delivered;
        assert.equal(req.headers['x-xenplane-event-id'], String(e.id), 'the idempotency id is the event id');
        // At least once: a redelivery repeats the id, and a receiver keeps the first.
        if (!this.got.some((g) => g.id === e.id)) this.got.push({ id: e.id, type: e.type, resourceId: e.resourceId });
        res.writeHead(204).end();
      });
    });
    return new Promise((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  down(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

let stack: Stack;
let op: ReturnType<typeof client>;
before(async () => {
  stack = await startStack(
    {},
    { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_MAX_MS: '400', WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_FOR_MS: '4000' },
  );
  op = client(stack.api.url, OPERATOR_TOKEN);
});
after(async () => {
  await stack?.stop();
});

async function tenant(name: string): Promise<ReturnType<typeof client>> {
  const t = await op('POST', '/v1/tenants', { name });
  const key = await op('POST', `/v1/tenants/${t.body.id as string}/api-keys`, { name: 'k', role: 'admin' });
  return client(stack.api.url, key.body.token as string);
}

/** The tenant's events as the stream has them, after `after`. */
async function streamed(token: string, afterId: number): Promise<Delivered[]> {
  const res = await fetch(`${stack.api.url}/v1/events?follow=false&after=${String(afterId)}`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.text())
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Delivered)
    .map((e) => ({ id: e.id, type: e.type, resourceId: e.resourceId }));
}

test('a receiver down for a while gets every event afterwards, in order, each signed', { timeout: 120_000 }, async () => {
  const t = await op('POST', '/v1/tenants', { name: 'hooked' });
  const key = await op('POST', `/v1/tenants/${t.body.id as string}/api-keys`, { name: 'k', role: 'admin' });
  const me = client(stack.api.url, key.body.token as string);
  let secret = '';
  const receiver = new Receiver(await freePort(), () => secret);
  await receiver.up();
  const hook = await me('POST', '/v1/webhooks', { url: `http://127.0.0.1:${String(receiver.port)}/hook` });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  secret = hook.body.secret as string;
  const from = hook.body.cursor as number;

  const net = await me('POST', '/v1/networks', { name: 'hook-net', cidr: '10.44.0.0/24' });
  assert.equal(net.status, 202, JSON.stringify(net.body));
  await eventually('the first network delivered', async () => receiver.got.some((e) => e.type === 'network.active') || undefined, 30_000);

  await receiver.down();
  const vol = await me('POST', '/v1/volumes', { name: 'hook-vol', sizeGiB: 1 });
  assert.equal(vol.status, 202, JSON.stringify(vol.body));
  const net2 = await me('POST', '/v1/networks', { name: 'hook-net-2', cidr: '10.45.0.0/24' });
  assert.equal(net2.status, 202);
  // Several backoffs pass while it refuses connections; deliveries stop at the first event it missed.
  const failing = await eventually(
    'retries recorded',
    async () => {
      const w = (await me('GET', `/v1/webhooks/${hook.body.id as string}`)).body as { attempts: number; lastError: string | null };
      return w.attempts >= 4 ? w : undefined;
    },
    30_000,
  );
  assert.match(String(failing.lastError), /ECONNREFUSED/);
  const seenWhileDown = receiver.got.length;
  await eventually(
    'both creations settled',
    async () => {
      const ops = (await me('GET', '/v1/operations?limit=10')).body.items as { status: string }[];
      return ops.every((o) => o.status === 'succeeded' || o.status === 'failed') || undefined;
    },
    60_000,
  );

  await receiver.up();
  const expected = await streamed(key.body.token as string, from);
  assert.ok(expected.length > seenWhileDown + 3, `events happened while it was down (${String(expected.length)})`);
  await eventually('every event delivered', async () => receiver.got.length >= expected.length || undefined, 30_000);
  assert.deepEqual(receiver.got.slice(0, expected.length), expected, 'every event, in the order of the stream');
  assert.equal(receiver.badSignatures, 0);
  const healed = (await me('GET', `/v1/webhooks/${hook.body.id as string}`)).body as {
    status: string;
    attempts: number;
    failingSince: string | null;
  };
  assert.equal(healed.status, 'active');
  assert.equal(healed.attempts, 0);
  assert.equal(healed.failingSince, null);
  await receiver.down();
});

test('a receiver that never answers is marked failed once the retry window has passed', { timeout: 60_000 }, async () => {
  const me = await tenant('hooked-dead');
  const port = await freePort();
  const hook = await me('POST', '/v1/webhooks', { url: `http://127.0.0.1:${String(port)}/gone`, events: ['network.'] });
  assert.equal(hook.status, 201);
  assert.equal((await me('POST', '/v1/networks', { name: 'dead-net', cidr: '10.46.0.0/24' })).status, 202);
  const failed = await eventually(
    'webhook failed',
    async () => {
      const w = (await me('GET', `/v1/webhooks/${hook.body.id as string}`)).body as { status: string; lastError: string };
      return w.status === 'failed' ? w : undefined;
    },
    30_000,
  );
  assert.match(failed.lastError, /ECONNREFUSED/);
});
