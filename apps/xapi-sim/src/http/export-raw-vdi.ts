// GET /export_raw_vdi (ocaml/xapi/export_raw_vdi.ml, vhd_tool_wrapper.ml send): the disk as raw bytes or as a dynamic
// VHD; with ?base=, only what differs from that VDI (raw: unchanged blocks read as zeros; vhd: a delta).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { XRecord } from '../datamodel/defaults.js';
import { vdiAttachError } from '../domain/device-lifecycle.js';
import { XapiError } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import { isZero } from '../storage/vdi-content.js';
import { buildVhd, vhdBlockSize } from '../storage/vhd-format.js';
import { bareStatus, errorOf, finishTask, handlerTask, internalError, progressMeter, withContext } from './http-context.js';
import type { HttpHandler } from './http-routes.js';
import { formatOf, vdiOfRequest } from './vdi-request.js';
import { scalar } from '../datamodel/defaults.js';

const maxVhdSize = 2040 * 1024 ** 3; // Constants.max_vhd_size
const types: Record<string, string> = { raw: 'application/octet-stream', vhd: 'application/vhd' };

// Disk blocks of 2 MiB, each null when it carries nothing (all zero, or equal to base's block).
async function* blocks(sim: SimState, vdi: XRecord, base: XRecord | undefined): AsyncGenerator<Buffer | null> {
  const size = Number(vdi.virtual_size);
  const other = base ? sim.content.chunks(scalar(base.uuid), size, 0, vhdBlockSize) : undefined;
  try {
    for await (const { data } of sim.content.chunks(scalar(vdi.uuid), size, 0, vhdBlockSize)) {
      const step = other ? await other.next() : undefined;
      const b = step && !step.done ? step.value.data : undefined;
      yield (b ? data.equals(b) : isZero(data)) ? null : data;
    }
  } finally {
    await other?.return(undefined);
  }
}

const zeroBlock = Buffer.alloc(vhdBlockSize); // read-only: every empty block of a raw export is this one

async function* rawBody(sim: SimState, vdi: XRecord, base: XRecord | undefined, meter: (n: number) => void): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const b of blocks(sim, vdi, base)) {
    const n = Math.min(vhdBlockSize, Number(vdi.virtual_size) - done);
    yield b ?? zeroBlock.subarray(0, n);
    meter((done += n));
  }
}

async function* vhdBody(sim: SimState, vdi: XRecord, base: XRecord | undefined, meter: (n: number) => void): AsyncGenerator<Buffer> {
  const present: boolean[] = [];
  for await (const b of blocks(sim, vdi, base)) present.push(b !== null); // first pass: the BAT
  const data = blocks(sim, vdi, base);
  let index = 0;
  try {
    yield* buildVhd(Number(vdi.virtual_size), present, async (i) => {
      for (;;) {
        const step = await data.next();
        if (step.done) throw new Error(`the disk ended before block ${i}`);
        if (index++ !== i) continue;
        // The table lists only blocks with data, so the one asked for is never empty.
        if (!step.value) throw new Error(`block ${i} was listed but is empty`);
        meter(i * vhdBlockSize);
        return step.value;
      }
    });
  } finally {
    await data.return(undefined); // closes the file
  }
}

// registered as xapi's get_export_raw_vdi (http-routes.ts)
export const exportRawVdi =
  (sim: SimState): HttpHandler =>
  (req, res) =>
    withContext(sim, req, res, 'VDI.export_raw', async (params) => {
      let vdiRef: string | undefined, task: string;
      try {
        vdiRef = vdiOfRequest(sim, params.get('vdi'));
        if (!vdiRef) throw new Error('Missing vdi query parameter');
        task = handlerTask(sim, params, 'Exporting raw VDI');
      } catch (e) {
        return internalError(res, errorOf(e).join(' '));
      }
      const format = formatOf(params);
      if (!types[format]) {
        finishTask(sim, task, { error: ['INTERNAL_ERROR', `Unknown format ${params.get('format') ?? format}`] });
        return bareStatus(res, 404);
      }
      const vdi = sim.store.mustGet('VDI', vdiRef);
      res.useChunkedEncodingByDefault = false;
      res.writeHead(200, {
        connection: 'close',
        'task-id': task,
        'content-type': types[format],
        'content-disposition': `attachment; filename="${scalar(vdi.uuid)}.${format}"`,
      });
      try {
        if (format === 'vhd' && Number(vdi.virtual_size) > maxVhdSize) throw new XapiError('VDI_TOO_LARGE', [vdiRef, String(maxVhdSize)]);
        const inUse = vdiAttachError(sim, vdiRef, false);
        if (inUse) throw new XapiError(inUse[0], inUse.slice(1));
        const baseRef = vdiOfRequest(sim, params.get('base'));
        const base = baseRef ? sim.store.mustGet('VDI', baseRef) : undefined;
        const meter = progressMeter(sim, task, Number(vdi.virtual_size));
        const body = format === 'vhd' ? vhdBody(sim, vdi, base, meter) : rawBody(sim, vdi, base, meter);
        await pipeline(Readable.from(body), res);
        finishTask(sim, task, { result: '' });
      } catch (e) {
        finishTask(sim, task, { error: res.destroyed && !(e instanceof XapiError) ? ['VDI_IO_ERROR', 'Device I/O errors'] : errorOf(e) });
        res.destroy();
      }
    });
