// A disk image uploaded, imported into the pool and downloaded back through the public API (issue 17): the e2e test
// checks it byte for byte; the bench runs it at 2 GiB and reports the processes' peak RSS against the 200 MiB goal.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eventually } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, type Stack } from './stack.js';

const MiB = 1024 ** 2;

/** `size` bytes generated as they are sent: every other MiB a pattern of its index (the rest zeros, as real disks are mostly empty). */
function disk(size: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < size / MiB; i++) {
        const block = Buffer.alloc(MiB, i % 2 === 0 ? (i % 251) + 1 : 0);
        if (i % 2 === 0) block.writeUInt32LE(i, 0);
        yield block;
      }
    })(),
  );
}

/** Peak resident set (VmHWM) of a process, in bytes. */
export const peakRss = async (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** PUT of the generated disk, streamed with its length and the sha256 computed beforehand. */
function put(url: string, token: string, sha256: string, size: number): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(`${url}?sha256=${sha256}`), {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    req.on('error', reject);
    req.on('response', (r) => {
      let text = '';
      r.on('data', (d: Buffer) => (text += d.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) }));
    });
    pipeline(disk(size), req).catch(reject);
  });
}

/** Uploads `size` bytes as a tenant's image, waits for its import, downloads it and asserts the bytes are the same. */
export async function imageRoundTrip(stack: Stack, spool: string, size: number): Promise<void> {
  const hash = createHash('sha256');
  for await (const b of disk(size)) hash.update(b as Buffer);
  const sha256 = hash.digest('hex');
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const t = await op('POST', '/v1/tenants', { name: `images-co-${size}` });
  const token = (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token as string;
  const me = client(stack.api.url, token);
  const image = await me('POST', '/v1/images', { name: 'big-disk' });
  assert.equal(image.status, 201, JSON.stringify(image.body));

  const up = await put(`${stack.api.url}/v1/images/${image.body.id}/file`, token, sha256, size);
  assert.equal(up.status, 202, JSON.stringify(up.body));
  assert.deepEqual([up.body.image.sizeBytes, up.body.image.sizeGiB, up.body.image.sha256], [size, Math.ceil(size / 1024 ** 3), sha256]);
  const done = await eventually(
    'image.upload',
    async () => {
      const o = (await me('GET', `/v1/operations/${up.body.operation.id}`)).body;
      return o.status === 'succeeded' || o.status === 'failed' ? o : undefined;
    },
    600_000,
  );
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  assert.equal((await me('GET', `/v1/images/${image.body.id}`)).body.status, 'active');
  assert.deepEqual(await readdir(spool), [], 'the spool is empty once imported');

  const res = await fetch(`${stack.api.url}/v1/images/${image.body.id}/file`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), String(size));
  const back = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    back.update(chunk);
    bytes += chunk.length;
  }
  assert.equal(bytes, size);
  assert.equal(back.digest('hex'), sha256, 'the download is the upload');
}
