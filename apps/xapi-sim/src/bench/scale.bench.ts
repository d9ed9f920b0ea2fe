// `npm run bench`: VM.get_all_records and event.from latency on 64 hosts at 10,000 VMs vs 100 VMs (JSON lines on stdout).
import http from 'node:http';
import { startSimulator } from '../index.js';

const hosts = 64;
const agent = new http.Agent({ keepAlive: true });

// One JSON-RPC call timed to the last byte of the answer; the body is only parsed when `parse` asks for it.
function call(url: string, method: string, params: unknown[], parse = false): Promise<{ ms: number; body?: any }> {
  const payload = JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/jsonrpc`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - started;
          resolve({ ms, body: parse ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(vms: number): Promise<{ coldAll: number; all: number; from: number; bytes: number }> {
  const sim = await startSimulator({ hosts, prepopulateVms: vms });
  try {
    const s = (await call(sim.url, 'session.login_with_password', ['root', 'xenroot', '1.0', 'scale-bench'], true)).body.result;
    const coldAll = (await call(sim.url, 'VM.get_all_records', [s])).ms; // first render of every record
    const all: number[] = [];
    for (let i = 0; i < 15; i++) all.push((await call(sim.url, 'VM.get_all_records', [s])).ms);
    const vmRefs: string[] = (await call(sim.url, 'VM.get_all', [s], true)).body.result;
    let token: string = (await call(sim.url, 'event.from', [s, ['vm'], '', 0.0], true)).body.result.token;
    const from: number[] = [];
    for (let i = 0; i < 200; i++) {
      await call(sim.url, 'VM.set_name_description', [s, vmRefs[(i * 7919) % vmRefs.length], `bench ${i}`]);
      const r = await call(sim.url, 'event.from', [s, ['vm'], token, 5.0], true);
      if (r.body.result.events.length !== 1) throw new Error(`event.from returned ${r.body.result.events.length} events`);
      token = r.body.result.token;
      from.push(r.ms);
    }
    const bytes = JSON.stringify((await call(sim.url, 'VM.get_all_records', [s], true)).body).length;
    return { coldAll, all: median(all), from: median(from), bytes };
  } finally {
    await sim.close();
  }
}

const small = await measure(100);
const large = await measure(10_000);
const line = (metric: string, value: number, unit: string, baseline: number) =>
  console.log(JSON.stringify({ bench: 'xapi-sim scale', metric, value, unit, baseline, ratio: value / baseline }));
line(`VM.get_all_records, ${hosts} hosts, 10000 VMs vs 100 (warm, median)`, large.all, 'ms', small.all);
line(`VM.get_all_records, ${hosts} hosts, 10000 VMs vs 100 (first call)`, large.coldAll, 'ms', small.coldAll);
line(`VM.get_all_records answer size, 10000 VMs vs 100`, large.bytes / 1e6, 'MB', small.bytes / 1e6);
line(`event.from after one VM change, 10000 VMs vs 100 (median)`, large.from, 'ms', small.from);
agent.destroy();
