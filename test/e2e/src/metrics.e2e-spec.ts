// Both /metrics endpoints as Prometheus reads them: promtool (Debian's prometheus package) is the referee, and
// each process exports only the metrics it can move.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { eventually } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const promtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;
if (!promtool && process.env.CI === 'true') throw new Error('CI=true but promtool is not installed (apt-get install prometheus)');

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

const WORKER_ONLY = /^xenplane_(job_|queue_|outbox_|xapi_|reconcile_|vm_watchers|dataplane_)/m;
const API_ONLY = /^xenplane_(http_request_|rate_limit_|audit_)/m;

async function scrape(url: string): Promise<string> {
  return (await client(url, null)('GET', '/metrics')).body as string;
}

test(
  "promtool accepts both expositions, and neither process exports the other one's metrics",
  { skip: !promtool && 'promtool not installed' },
  async () => {
    // Move some of each: a request through the API, a VM through the worker.
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const flavor = (await op('POST', '/v1/flavors', { name: 'm', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body;
    const image = (await op('POST', '/v1/images', { name: 'm', template: 'Debian Bookworm 12' })).body;
    const tenant = (await op('POST', '/v1/tenants', { name: 'metrics' })).body;
    const vm = (await op('POST', `/v1/vms?tenantId=${tenant.id}`, { name: 'm', flavorId: flavor.id, imageId: image.id })).body.vm;
    await eventually('running', async () =>
      (await op('GET', `/v1/vms/${vm.id}?tenantId=${tenant.id}`)).body.status === 'running' ? true : undefined,
    );

    for (const [name, url] of [
      ['api', stack.api.url],
      ['worker', stack.worker.url],
    ] as const) {
      const text = await scrape(url);
      const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(checked.status, 0, `${name}: ${checked.stdout}${checked.stderr}`);
      assert.equal(`${checked.stdout}${checked.stderr}`.trim(), '', `${name}: promtool has nothing to say`);
    }
    const [api, worker] = [await scrape(stack.api.url), await scrape(stack.worker.url)];
    assert.match(api, /^xenplane_http_request_duration_seconds_count\{/m);
    assert.doesNotMatch(api, WORKER_ONLY);
    assert.match(worker, /^xenplane_job_duration_seconds_count\{/m);
    assert.doesNotMatch(worker, API_ONLY);
  },
);
