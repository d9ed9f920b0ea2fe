// GET /v1/vms (a page of 50) req/s through the whole API (auth, rate limit, tenancy, view mapping) vs a bare
// node:http + pg server running the query the API ran, on the same database and rows (issue 20).
import { eventually } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack } from '../stack.js';
import { compare, requestStatements, emitComparison, startBareList } from './list-load.js';

const emit = (r: Record<string, unknown>) => console.log(JSON.stringify(r));
const VMS = 60; // more than a page, so the page is full and has a next cursor
const CONNECTIONS = Number(process.env.BENCH_LIST_CONNECTIONS ?? 16);

const stack = await startStack({ SIM_HOSTS: '2' }, { WORKER_CONCURRENCY: '16', OUTBOX_POLL_MS: '50' });
let bare: Awaited<ReturnType<typeof startBareList>> | undefined;
try {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = await op('POST', '/v1/flavors', { name: 'b', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'b', template: 'Debian Bookworm 12' });
  const tenant = (await op('POST', '/v1/tenants', { name: 'list', quota: { vms: 1000, vcpus: 1000, memoryMiB: 1_000_000, diskGiB: 100_000 } })).body
    .id as string;
  const key = (await op('POST', `/v1/tenants/${tenant}/api-keys`, { name: 'bench', role: 'member' })).body.token as string;
  const me = client(stack.api.url, key);
  const body = { flavorId: flavor.body.id, imageId: image.body.id };
  for (let i = 0; i < VMS; i += 20)
    await Promise.all(Array.from({ length: Math.min(20, VMS - i) }, (_, j) => me('POST', '/v1/vms', { name: `l${i + j}`, ...body })));
  await eventually(
    'all running',
    async () => {
      const items = (await me('GET', '/v1/vms?limit=500')).body.items as { status: string }[];
      return items.filter((v) => v.status === 'running').length === VMS ? true : undefined;
    },
    120_000,
  );
  const page = await me('GET', '/v1/vms?limit=50');
  if (page.status !== 200 || page.body.items.length !== 50) throw new Error(`page of ${page.body.items?.length}: ${JSON.stringify(page.body)}`);
  const statements = await requestStatements(stack.env, '/v1/vms?limit=50', { authorization: `Bearer ${key}` });
  for (const s of statements) process.stderr.write(`vms list: the API ran ${s.sql.replace(/\s+/g, ' ').slice(0, 100)}…\n`);
  emit({ bench: 'vms list', metric: 'SQL statements per GET /v1/vms (from the query log)', value: statements.length, unit: 'statements' });
  bare = await startBareList(stack.db.url, statements);
  const r = await compare({ url: `${stack.api.url}/v1/vms?limit=50`, headers: { authorization: `Bearer ${key}` } }, bare, CONNECTIONS, 8);
  emitComparison('vms list', `GET /v1/vms (50 items), ${CONNECTIONS} connections,`, r, emit);
} finally {
  await bare?.stop();
  await stack.stop();
}
