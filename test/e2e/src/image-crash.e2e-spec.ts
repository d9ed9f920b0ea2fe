// Tenant images under crashes (issue 17): uploads while the API is SIGKILLed and imports while the worker is, each
// upload retried by its client until accepted. Every image ends active (or cleanly failed), one golden VDI per active
// image and none for the others, the spool holds only the part files of the uploads a killed API was receiving, and the
// imageGiB quota equals the recount.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually, simLatency, startProcess, xapi, type ManagedProcess } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';
import { terminal as allTerminal, workerKiller, type WorkerKiller } from './crash-harness.js';

const MiB = 1024 ** 2;
const IMAGES = 6;
const WORKER_ENV = { WORKER_LOCK_MS: '2000', OPERATION_SWEEP_MS: '2000', WORKER_CONCURRENCY: '4' };
let stack: Stack;
let killer: WorkerKiller;
let spool: string;
let api: ManagedProcess;

before(async () => {
  spool = await mkdtemp(join(tmpdir(), 'crash-spool-'));
  stack = await startStack({}, { ...WORKER_ENV, IMAGE_SPOOL_DIR: spool });
  killer = workerKiller(stack, WORKER_ENV, 90_000);
  api = stack.api;
});
after(async () => {
  await killer?.stop();
  await api?.stop('SIGKILL');
  await stack?.stop();
  await rm(spool, { recursive: true, force: true });
});

/** Image i's disk: (i + 2) MiB of 1 MiB blocks, each filled with its own byte, sent slowly enough for a kill to land mid-way. */
function disk(i: number): Buffer[] {
  return Array.from({ length: i + 2 }, (_, b) => Buffer.alloc(MiB, ((i * 16 + b) % 250) + 1));
}

/** One PUT of the disk, a block every 40 ms: its status, or 0 when the connection broke (the API was killed). */
function put(url: string, token: string, blocks: Buffer[], sha256: string): Promise<number> {
  return new Promise((resolve) => {
    const length = blocks.reduce((n, b) => n + b.length, 0);
    const req = http.request(new URL(`${url}?sha256=${sha256}`), {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(length) },
    });
    req.on('error', () => resolve(0));
    req.on('response', (r) => (r.resume(), r.on('end', () => resolve(r.statusCode ?? 0)), r.on('error', () => resolve(0))));
    (async () => {
      for (const b of blocks) {
        if (req.destroyed) return;
        req.write(b);
        await new Promise((r) => setTimeout(r, 40));
      }
      req.end();
    })().catch(() => resolve(0));
  });
}

test(`${IMAGES} images uploaded while the API and the worker are SIGKILLed end consistent`, { timeout: 300_000 }, async () => {
  const port = new URL(stack.api.url).port;
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const tenant = (await op('POST', '/v1/tenants', { name: 'image-crash' })).body.id as string;
  const token = (await op('POST', `/v1/tenants/${tenant}/api-keys`, { name: 'k', role: 'admin' })).body.token as string;
  const me = client(stack.api.url, token);
  const ids: string[] = [];
  for (let i = 0; i < IMAGES; i++) ids.push((await me('POST', '/v1/images', { name: `crash-${i}` })).body.id);
  await simLatency(stack.sim.url, 'VDI.create', 150);

  let apiKills = 0;
  let cut = 0;
  // A client retries until the upload is accepted, or the image is no longer queued (an accepted upload whose answer was lost).
  const uploads = ids.map(async (id, i) => {
    const blocks = disk(i);
    const sha256 = createHash('sha256').update(Buffer.concat(blocks)).digest('hex');
    for (let attempt = 0; attempt < 20; attempt++) {
      const status = await put(`${stack.api.url}/v1/images/${id}/file`, token, blocks, sha256);
      if (status === 202) return;
      if (status === 0) cut++;
      const now = await eventually('the API answers', () => me('GET', `/v1/images/${id}`).catch(() => undefined), 120_000);
      if (now.body.status !== 'queued') return;
    }
    throw new Error(`image ${id} was never accepted`);
  });
  const killApi = async (ms: number) => {
    await new Promise((r) => setTimeout(r, ms));
    await api.stop('SIGKILL');
    apiKills++;
    api = startProcess('apps/api/dist/main.js', { ...stack.env, PORT: port, HOST: '127.0.0.1' }, 'api');
    await api.waitForLog((l) => l.msg === 'api listening', 90_000);
  };
  await Promise.all([
    (async () => {
      for (const ms of [150, 400, 300]) await killApi(ms);
    })(),
    killer.killsDuring([700, 500, 900, 600]),
    Promise.all(uploads),
  ]);
  await killer.killsDuring([300, 500]);
  assert.ok(cut > 0, 'a kill landed mid-upload');

  const operations = (await op('GET', `/v1/operations?tenantId=${tenant}&limit=500`)).body.items as { id: string; kind: string }[];
  const uploadsRun = operations.filter((o) => o.kind === 'image.upload');
  assert.equal(uploadsRun.length, IMAGES, 'each image accepted exactly one upload');
  await allTerminal(
    op,
    tenant,
    uploadsRun.map((o) => o.id),
    200_000,
  );

  const db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
  // The row's own columns: the VDI uuid is not in the API's view of an image.
  const images = (await db.query(`SELECT id, status, xapi_uuid AS "xapiUuid", size_gib AS "sizeGiB" FROM images WHERE tenant_id = $1`, [tenant]))
    .rows;
  await db.end();
  assert.equal(images.length, IMAGES);
  for (const im of images) assert.ok(['active', 'error'].includes(im.status), `image ${im.id} is ${im.status}`);
  assert.ok(images.filter((im) => im.status === 'active').length >= IMAGES - 1, 'crashes cost retries, not images');

  const pool = await xapi(stack.sim.url);
  const vdis = Object.values<Record<string, any>>(await pool('VDI.get_all_records')).filter((v) => v.other_config['xenplane-image']);
  for (const im of images) {
    const mine = vdis.filter((v) => v.other_config['xenplane-image'] === im.id);
    if (im.status === 'active')
      assert.deepEqual(
        mine.map((v) => v.uuid),
        [im.xapiUuid],
        `image ${im.id}'s VDIs`,
      );
    else assert.deepEqual(mine, [], `failed image ${im.id} left a VDI`);
  }
  assert.equal(vdis.length, images.filter((im) => im.status === 'active').length, 'no VDI for an image no row holds');

  const left = await readdir(spool);
  // An accepted file's name is <image>.<operation>: say what became of its operation, so a failure tells which window.
  const ofOp = (n: string) => operations.find((o) => o.id === n.split('.')[1])?.kind ?? 'no operation';
  assert.ok(
    left.every((n) => n.endsWith('.part')),
    `only part files of cut uploads stay: ${left.map((n) => (n.endsWith('.part') ? n : `${n} (${ofOp(n)})`)).join(', ')}`,
  );
  assert.ok(left.length <= cut, `${left.length} part files for ${cut} uploads cut by ${apiKills} API kills`);

  const quota = (await me('GET', '/v1/quota')).body.used.imageGiB as number;
  const activeGiB = images.filter((im) => im.status === 'active').reduce((n, im) => n + (im.sizeGiB as number), 0);
  assert.equal(quota, activeGiB, 'imageGiB is what the active images hold');
  const recount = (await op('POST', `/v1/tenants/${tenant}/quota/recount`)).body;
  assert.ok(
    Object.values(recount.drift).every((d) => d === 0),
    JSON.stringify(recount.drift),
  );
});
