import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { buildVhd } from '../storage/vhd-format.js';
import { httpRequest } from '../testing/http-request.js';
import { sparseUpload } from '../testing/sparse-upload.js';
import { JsonRpc, login, waitTask } from '../testing/xapi-test-client.js';

const MiB = 1024 ** 2;

const send = (url: string, method: 'PUT' | 'GET', body?: Buffer, headers: Record<string, string> = {}) => httpRequest(url, method, body, headers);

function pattern(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 512) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b;
}

describe('conformance: disk content over HTTP (/import_raw_vdi, /export_raw_vdi)', () => {
  let sim: Simulator;
  let j: JsonRpc;
  let s: string;
  let lvm: string;
  let nfs: string;
  const vdiOn = (sr: string, size: number) =>
    j.call('VDI.create', s, { name_label: 'disk', SR: sr, virtual_size: size, type: 'user', sharable: false, read_only: false, other_config: {} });
  const url = (path: string, q: Record<string, string>) => `${sim.url}${path}?${new URLSearchParams(q).toString()}`;
  before(async () => {
    sim = await startSimulator();
    j = new JsonRpc(sim.url);
    s = await login(j);
    [lvm] = await j.call('SR.get_by_name_label', s, 'Shared storage');
    [nfs] = await j.call('SR.get_by_name_label', s, 'NFS storage');
  });
  after(() => sim?.close());

  // ocaml/xapi/import_raw_vdi.ml localhost_handler, export_raw_vdi.ml localhost_handler; xapi_http.ml with_context
  it('imports raw bytes with the task given, reads them back byte for byte, and physical_utilisation follows on a thin SR', async () => {
    const vdi = await vdiOn(nfs, 8 * MiB);
    const data = Buffer.concat([pattern(3 * MiB, 1), Buffer.alloc(2 * MiB), pattern(MiB + 123, 2)]);
    const task = await j.call('task.create', s, 'upload', '');
    const up = await send(url('/import_raw_vdi', { session_id: s, vdi, task_id: task }), 'PUT', data);
    assert.equal(up.status, 200);
    assert.equal(up.headers['task-id'], task);
    const done = await waitTask(j, s, task);
    assert.deepEqual([done.status, done.result, done.progress], ['success', `<value>${vdi}</value>`, 1]);
    const used = await j.call('VDI.get_physical_utilisation', s, vdi);
    assert.ok(used >= 4 * MiB && used < 5 * MiB, `only the non-zero 4 MiB are allocated (${used})`);
    assert.equal((await j.call('SR.get_physical_utilisation', s, nfs)) >= used, true);
    const down = await send(url('/export_raw_vdi', { session_id: s, vdi }), 'GET');
    assert.deepEqual([down.status, down.headers['content-type'], down.body.length], [200, 'application/octet-stream', 8 * MiB]);
    assert.equal(down.headers['content-disposition'], `attachment; filename="${await j.call('VDI.get_uuid', s, vdi)}.raw"`);
    assert.ok(down.body.subarray(0, data.length).equals(data) && down.body.subarray(data.length).every((b) => b === 0));
    const exported = await waitTask(j, s, String(down.headers['task-id']));
    assert.deepEqual([exported.status, exported.name_label], ['success', 'Exporting raw VDI']);
  });

  // ocaml/vhd-tool/src/impl.ml serve_vhd_to_raw, vhd_tool_wrapper.ml send (format=vhd); importexport.ml Format
  it('takes a dynamic VHD in and gives one out (a delta with ?base), the session as a cookie', async () => {
    const size = 6 * MiB;
    const block = pattern(2 * MiB, 3);
    const parts: Buffer[] = [];
    for await (const p of buildVhd(size, [false, true, false], async () => block)) parts.push(p);
    const vdi = await vdiOn(lvm, size);
    const task = await j.call('task.create', s, 'vhd', '');
    const up = await send(url('/import_raw_vdi', { vdi, task_id: task, format: 'vhd' }), 'PUT', Buffer.concat(parts), { cookie: `session_id=${s}` });
    assert.equal(up.status, 200);
    assert.equal((await waitTask(j, s, task)).status, 'success');
    const raw = (await send(url('/export_raw_vdi', { vdi }), 'GET', undefined, { cookie: `session_id=${s}` })).body;
    assert.ok(
      raw.subarray(0, 2 * MiB).every((b) => b === 0) && raw.subarray(2 * MiB, 4 * MiB).equals(block) && raw.subarray(4 * MiB).every((b) => b === 0),
    );
    const vhd = await send(url('/export_raw_vdi', { session_id: s, vdi, format: 'vhd' }), 'GET');
    assert.deepEqual(
      [vhd.headers['content-type'], vhd.body.toString('latin1', 0, 8), vhd.body.toString('latin1', 512, 520)],
      ['application/vhd', 'conectix', 'cxsparse'],
    );
    assert.equal(vhd.body.length, 512 + 1024 + 512 + (512 + 2 * MiB) + 512, 'one allocated block');
    const snap = await j.call('VDI.snapshot', s, vdi, {});
    const change = pattern(2 * MiB, 4);
    const t2 = await j.call('task.create', s, 'raw', '');
    await send(url('/import_raw_vdi', { session_id: s, vdi, task_id: t2 }), 'PUT', change);
    assert.equal((await waitTask(j, s, t2)).status, 'success');
    const delta = await send(url('/export_raw_vdi', { session_id: s, vdi, format: 'vhd', base: snap }), 'GET');
    assert.equal(delta.body.length, 512 + 1024 + 512 + (512 + 2 * MiB) + 512, 'only block 0 changed since the snapshot');
    assert.ok(delta.body.subarray(2048 + 512, 2048 + 512 + 2 * MiB).equals(change));
  });

  // import_raw_vdi.ml: ?chunked framing (vhd-tool chunked.ml), Transfer-Encoding refused, credentials (xapi_http.ml)
  it("accepts xapi's chunked framing, refuses Transfer-Encoding: chunked with a failed task, and answers 401 without credentials", async () => {
    const vdi = await vdiOn(lvm, 4 * MiB);
    const data = pattern(64 * 1024, 5);
    const frame = (offset: number, b: Buffer) => {
      const h = Buffer.alloc(12);
      h.writeBigUInt64LE(BigInt(offset));
      h.writeUInt32LE(b.length, 8);
      return Buffer.concat([h, b]);
    };
    const task = await j.call('task.create', s, 'chunked', '');
    await send(
      url('/import_raw_vdi', { session_id: s, vdi, task_id: task, chunked: 'true' }),
      'PUT',
      Buffer.concat([frame(3 * MiB, data), Buffer.alloc(12)]),
    );
    assert.equal((await waitTask(j, s, task)).status, 'success');
    const back = (await send(url('/export_raw_vdi', { session_id: s, vdi }), 'GET')).body;
    assert.ok(back.subarray(3 * MiB, 3 * MiB + data.length).equals(data));
    const t2 = await j.call('task.create', s, 'te', '');
    const te = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        url('/import_raw_vdi', { session_id: s, vdi, task_id: t2 }),
        { method: 'PUT' },
        (res) => (res.resume(), resolve(res.statusCode!)),
      );
      req.on('error', () => undefined);
      req.on('close', () => undefined);
      req.write(data);
      setTimeout(() => req.end(), 10);
      void reject;
    });
    assert.equal(te, 404);
    assert.deepEqual((await waitTask(j, s, t2)).error_info, ['INTERNAL_ERROR', 'Cannot handle encoding: chunked']);
    const vhdChunked = await j.call('task.create', s, 'x', '');
    assert.equal(
      (await send(url('/import_raw_vdi', { session_id: s, vdi, task_id: vhdChunked, format: 'vhd', chunked: '1' }), 'PUT', data)).status,
      404,
    );
    assert.deepEqual((await waitTask(j, s, vhdChunked)).error_info, ['INTERNAL_ERROR', 'Cannot handle chunked VHD']);
    const anon = await send(url('/export_raw_vdi', { vdi }), 'GET');
    assert.deepEqual([anon.status, anon.headers['www-authenticate']], [401, 'Basic realm="VDI.export_raw"']);
    const basic = await send(url('/export_raw_vdi', { vdi }), 'GET', undefined, {
      authorization: `Basic ${Buffer.from('root:xenroot').toString('base64')}`,
    });
    assert.equal(basic.status, 200);
    assert.equal((await send(url('/import_raw_vdi', { session_id: 'OpaqueRef:nope', vdi }), 'PUT', data)).status, 401);
  });

  // vhd_tool_wrapper.ml run_vhd_tool: a body that ends early is VDI_IO_ERROR; so is data past the disk's end
  it('fails the task with VDI_IO_ERROR when the upload is truncated or overruns the disk', async () => {
    const vdi = await vdiOn(lvm, MiB);
    const task = await j.call('task.create', s, 'cut', '');
    await new Promise<void>((resolve) => {
      const req = http.request(url('/import_raw_vdi', { session_id: s, vdi, task_id: task }), {
        method: 'PUT',
        headers: { 'content-length': String(MiB) },
      });
      req.on('error', () => resolve());
      req.on('response', (res) => res.resume().on('close', resolve));
      req.write(pattern(256 * 1024, 6), () => setTimeout(() => req.destroy(), 50));
    });
    assert.deepEqual((await waitTask(j, s, task)).error_info, ['VDI_IO_ERROR', 'Device I/O errors']);
    const t2 = await j.call('task.create', s, 'over', '');
    await send(url('/import_raw_vdi', { session_id: s, vdi, task_id: t2 }), 'PUT', pattern(2 * MiB, 7)).catch(() => undefined);
    assert.deepEqual((await waitTask(j, s, t2)).error_info, ['VDI_IO_ERROR', 'Device I/O errors']);
  });

  // import_raw_vdi.ml localhost_handler: the format is checked before a byte is read (qcow2 only from xapi 25.27.0, commit
  // "{export,import}_raw_vdi: add qcow as supported format"; every release the simulator presents is older), and
  // importexport.ml Format.of_req names the value as sent; import: no vdi and no SR is VDI_MISSING on the task given, 400;
  // handler: an unknown vdi fails in vdi_of_req before with_context, so 500 and the task given is left alone;
  // export_raw_vdi.ml: an unknown format is 404 and the task's INTERNAL_ERROR
  it('refuses qcow2 before reading the body, VDI_MISSING with 400, an unknown VDI with 500, as xapi does', async () => {
    const vdi = await vdiOn(lvm, 4 * MiB);
    const task = await j.call('task.create', s, 'qcow2', '');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(url('/import_raw_vdi', { session_id: s, vdi, task_id: task, format: 'QCOW2' }), {
        method: 'PUT',
        headers: { 'content-length': String(4 * MiB) },
      });
      req.on('error', reject).on('response', (res) => (res.resume(), resolve(res.statusCode!), req.destroy()));
      req.flushHeaders(); // the body never comes: the answer must not wait for it
    });
    assert.equal(status, 404);
    assert.deepEqual((await waitTask(j, s, task)).error_info, ['INTERNAL_ERROR', 'Unknown format QCOW2']);
    const t2 = await j.call('task.create', s, 'export qcow2', '');
    assert.equal((await send(url('/export_raw_vdi', { session_id: s, vdi, task_id: t2, format: 'qcow2' }), 'GET')).status, 404);
    assert.deepEqual((await waitTask(j, s, t2)).error_info, ['INTERNAL_ERROR', 'Unknown format qcow2']);
    const t3 = await j.call('task.create', s, 'nothing named', '');
    assert.equal((await send(url('/import_raw_vdi', { session_id: s, task_id: t3 }), 'PUT', Buffer.alloc(512))).status, 400);
    assert.deepEqual((await waitTask(j, s, t3)).error_info, ['VDI_MISSING']);
    const t4 = await j.call('task.create', s, 'unknown vdi', '');
    const unknown = await send(url('/import_raw_vdi', { session_id: s, vdi: 'no-such-uuid', task_id: t4 }), 'PUT', Buffer.alloc(512));
    assert.equal(unknown.status, 500);
    assert.match(unknown.body.toString(), /UUID_INVALID/);
    assert.equal(await j.call('task.get_status', s, t4), 'pending', 'the task given is not the one that failed');
    assert.equal((await send(url('/export_raw_vdi', { session_id: s, vdi: 'no-such-uuid' }), 'GET')).status, 500);
  });

  // 2 GiB here, eight times the memory bound; `npm run bench` streams 10 GiB (bench/disk-transfer.bench.ts).
  it('a 2 GiB upload streams to a sparse file in bounded memory', { timeout: 600_000 }, async () => {
    const size = 2 * 1024 ** 3;
    const vdi = await vdiOn(nfs, size);
    const head = pattern(MiB, 8);
    const task = await j.call('task.create', s, 'big', '');
    const r = await sparseUpload(
      (path) => url(path, path === '/import_raw_vdi' ? { session_id: s, vdi, task_id: task } : { session_id: s, vdi }),
      size,
      head,
    );
    assert.equal((await waitTask(j, s, task)).status, 'success');
    assert.ok(r.rssGrowth < 256 * MiB, `memory grew by ${Math.round(r.rssGrowth / MiB)} MiB`);
    const used = await j.call('VDI.get_physical_utilisation', s, vdi);
    assert.ok(used <= 3 * MiB, `2 MiB of data allocated, not 2 GiB (${used})`);
    assert.ok(r.tail.equals(head), 'the last MiB reads back through the export');
  });
});
