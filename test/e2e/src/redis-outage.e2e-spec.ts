import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, redisServer, type RedisServer } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
let redis: RedisServer | undefined;

before(async () => {
  // A private Redis, so stopping it cannot disturb tests running beside this one.
  redis = await redisServer();
  stack = await startStack({}, { REDIS_URL: redis.url });
});
after(async () => {
  await stack?.stop();
  await redis?.stop();
});

test('with Redis down requests are still accepted, and run once it is back', { timeout: 120_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = await op('POST', '/v1/flavors', { name: 'r', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'r', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'redisless' });
  const t = `?tenantId=${tenant.body.id}`;

  await redis!.stop();
  const accepted: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await op('POST', `/v1/vms${t}`, { name: `r${i}`, flavorId: flavor.body.id, imageId: image.body.id });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    accepted.push(r.body.vm.id as string);
  }
  const ready = await op('GET', '/health/ready');
  assert.equal(ready.status, 503, 'readiness says Redis is down');
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok((await op('GET', `/v1/operations${t}`)).body.items.every((o: { status: string }) => o.status === 'queued'));

  await redis!.start();
  await eventually(
    'all running',
    async () => {
      const vms = (await op('GET', `/v1/vms${t}`)).body.items as { id: string; status: string }[];
      return accepted.every((id) => vms.find((v) => v.id === id)?.status === 'running') ? true : undefined;
    },
    60_000,
  );
});
