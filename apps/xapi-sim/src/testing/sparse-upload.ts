// A large, mostly-zero disk pushed through PUT /import_raw_vdi and read back through GET /export_raw_vdi, watching
// this process's memory: the bounded-memory proof (a test at 2 GiB) and its throughput bench (10 GiB).
import http from 'node:http';

const MiB = 1024 ** 2;

export interface SparseUploadResult {
  rssGrowth: number; // peak RSS above the start, while uploading
  uploadMs: number;
  exportMs: number;
  tail: Buffer; // the last MiB read back through the export
}

// `head` goes at the start and in the last MiB; everything between is zeros, sent 1 MiB at a time with backpressure.
export async function sparseUpload(url: (path: string) => string, size: number, head: Buffer): Promise<SparseUploadResult> {
  const zero = Buffer.alloc(MiB);
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = http.request(url('/import_raw_vdi'), { method: 'PUT', headers: { 'content-length': String(size) } }, (res) =>
      res.resume().on('end', resolve),
    );
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        const b = sent === 0 || sent === size - MiB ? head : zero;
        sent += b.length;
        if (!req.write(b)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  }).finally(() => clearInterval(sampler));
  const uploadMs = performance.now() - started;
  const exported = performance.now();
  const tail = await new Promise<Buffer>((resolve, reject) => {
    // the last MiB, skipping what comes before without keeping it
    http
      .get(url('/export_raw_vdi'), (res) => {
        let seen = 0;
        const keep: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (seen + c.length > size - MiB) keep.push(c.subarray(Math.max(0, size - MiB - seen)));
          seen += c.length;
        });
        res.on('end', () => resolve(Buffer.concat(keep)));
      })
      .on('error', reject);
  });
  return { rssGrowth: peak - rssBefore, uploadMs, exportMs: performance.now() - exported, tail };
}
