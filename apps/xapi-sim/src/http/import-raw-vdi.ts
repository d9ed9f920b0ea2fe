// PUT /import_raw_vdi (ocaml/xapi/import_raw_vdi.ml, vhd_tool_wrapper.ml receive; ocaml/vhd-tool/src/impl.ml serve):
// raw bytes from offset 0, xapi's own chunked framing (?chunked), or a dynamic VHD, streamed into the sparse file.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createVdi } from '../domain/disks.js';
import { vdiAttachError } from '../domain/device-lifecycle.js';
import { refreshUtilisation } from '../domain/vdi-ops.js';
import { XapiError } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import { ByteReader } from '../storage/byte-reader.js';
import type { SparseWriter } from '../storage/vdi-content.js';
import { readVhd } from '../storage/vhd-format.js';
import { HttpParams, bareStatus, errorOf, finishTask, handlerTask, internalError, progressMeter, withContext } from './http-context.js';
import type { HttpHandler } from './http-routes.js';
import { formatOf, vdiOfRequest } from './vdi-request.js';
import { scalar } from '../datamodel/defaults.js';

const ioError = () => new XapiError('VDI_IO_ERROR', ['Device I/O errors']);

class Refusal extends Error {
  constructor(
    readonly error: string[],
    readonly status: 400 | 404,
  ) {
    super(error.join(' '));
  }
}

const internal = (msg: string, status: 400 | 404) => new Refusal(['INTERNAL_ERROR', msg], status);

// The VDI to write: the one named, or (raw with a Content-Length, sr_id/sr_uuid) a new "Imported VDI" of that size.
function targetVdi(sim: SimState, req: IncomingMessage, params: HttpParams, vdi: string | undefined, format: string): string {
  const chunked = params.has('chunked');
  // the message names the value as sent (Format.of_req lowercases only to compare)
  if (format !== 'raw' && format !== 'vhd') throw internal(`Unknown format ${params.get('format') ?? format}`, 404);
  if (format === 'vhd' && chunked) throw internal('Cannot handle chunked VHD', 404);
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) throw internal(`Cannot handle encoding: ${te}`, 404);
  if (vdi) return vdi;
  const sr = params.get('sr_id') ?? (params.get('sr_uuid') && sim.store.refByUuid('SR', params.get('sr_uuid')!));
  const length = req.headers['content-length'];
  if (format === 'raw' && length !== undefined && sr) {
    return createVdi(sim, {
      name_label: 'Imported VDI',
      name_description: '',
      SR: sr,
      virtual_size: Number(length),
      type: 'user',
      sharable: false,
      read_only: false,
      other_config: {},
      xenstore_data: {},
      sm_config: {},
      tags: [],
    });
  }
  if (format === 'vhd') throw internal('Importing a VHD directly into an SR not yet supported', 400);
  throw internal('Not enough info supplied to import', 400);
}

async function receive(r: ByteReader, w: SparseWriter, format: string, chunked: boolean, length: number, meter: (n: number) => void): Promise<void> {
  if (format === 'vhd') return void (await readVhd(r, w.limit, async (offset, data) => (await w.write(offset, data), meter(r.position))));
  if (chunked) {
    for (;;) {
      const header = await r.exactly(12);
      const offset = Number(header.readBigUInt64LE(0));
      const len = header.readUInt32LE(8);
      if (offset === 0 && len === 0) return;
      for (let done = 0; done < len;) {
        const data = await r.exactly(Math.min(len - done, 2 * 1024 * 1024));
        await w.write(offset + done, data);
        done += data.length;
        meter(r.position);
      }
    }
  }
  while (r.position < length) {
    const at = r.position;
    const data = await r.some(length - at);
    if (!data) throw ioError(); // the body ended before Content-Length
    await w.write(at, data);
    meter(r.position);
  }
}

// registered as xapi's put_import_raw_vdi (http-routes.ts)
export const importRawVdi =
  (sim: SimState): HttpHandler =>
  (req, res) =>
    withContext(sim, req, res, 'VDI.import', async (params) => {
      let vdi: string | undefined;
      try {
        vdi = vdiOfRequest(sim, params.get('vdi'));
      } catch (e) {
        return internalError(res, errorOf(e).join(' '));
      }
      if (!vdi && !params.get('sr_id') && !params.get('sr_uuid')) {
        const task = params.get('task_id');
        if (task) finishTask(sim, task, { error: ['VDI_MISSING'] });
        return bareStatus(res, 400);
      }
      await importInto(sim, req, res, params, vdi);
    });

async function importInto(sim: SimState, req: IncomingMessage, res: ServerResponse, params: HttpParams, named: string | undefined): Promise<void> {
  let task: string;
  try {
    task = handlerTask(sim, params, 'Importing raw VDI');
  } catch (e) {
    return internalError(res, errorOf(e).join(' '));
  }
  const format = formatOf(params);
  let vdi: string;
  try {
    vdi = targetVdi(sim, req, params, named, format);
  } catch (e) {
    finishTask(sim, task, { error: e instanceof Refusal ? e.error : errorOf(e) });
    return bareStatus(res, e instanceof Refusal ? e.status : 400);
  }
  // as xapi: the answer's headers go out first, the outcome is the task's
  res.useChunkedEncodingByDefault = false;
  res.writeHead(200, { connection: 'close', 'task-id': task, 'content-type': 'application/octet-stream' });
  res.flushHeaders();
  const record = sim.store.mustGet('VDI', vdi);
  const length = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : Number(record.virtual_size);
  try {
    const inUse = vdiAttachError(sim, vdi, true);
    if (inUse) throw new XapiError(inUse[0], inUse.slice(1));
    const writer = await sim.content.writer(scalar(record.uuid), Number(record.virtual_size));
    try {
      await receive(
        new ByteReader(req),
        writer,
        format,
        params.has('chunked'),
        length,
        progressMeter(sim, task, req.headers['content-length'] ? length : undefined),
      );
    } catch (e) {
      throw e instanceof XapiError ? e : ioError(); // vhd-tool failing is VDI_IO_ERROR whatever went wrong
    } finally {
      await writer.close();
    }
    await refreshUtilisation(sim, vdi);
    finishTask(sim, task, { result: `<value>${vdi}</value>` });
    res.end();
  } catch (e) {
    await refreshUtilisation(sim, vdi).catch(() => undefined);
    finishTask(sim, task, { error: errorOf(e) });
    res.destroy();
  }
}
