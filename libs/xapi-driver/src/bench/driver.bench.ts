// `npm run bench`: calls/s through XapiClient vs a bare keep-alive node:http client posting the same pre-encoded
// JSON-RPC body, same concurrency, against a zero-latency simulator process; the ratio is the driver's overhead.
import http from 'node:http';
import { XapiClient } from '../client/xapi-client.js';
import { startSim } from '../testing/sim-control.js';

const concurrency = 8;
const callsPerRun = 2_000;
const rounds = 5;

const sim = await startSim();
const client = new XapiClient({ url: sim.url, username: 'root', password: 'xenroot', originator: 'driver-bench', maxConcurrency: concurrency });
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function post(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${sim.url}/jsonrpc`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let size = 0;
        res.on('data', (c: Buffer) => (size += c.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(size) : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// `concurrency` workers share `callsPerRun` calls; returns calls per second.
async function run(one: () => Promise<unknown>): Promise<number> {
  let left = callsPerRun;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await one();
    }),
  );
  return callsPerRun / ((performance.now() - started) / 1000);
}

try {
  const [template] = await client.call<string[]>('VM.get_by_name_label', 'Debian Bookworm 12');
  const session = JSON.parse(
    await new Promise<string>((resolve, reject) => {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        method: 'session.login_with_password',
        params: ['root', 'xenroot', '1.0', 'driver-bench-bare'],
        id: 1,
      });
      const req = http.request(`${sim.url}/jsonrpc`, { method: 'POST', agent, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end(body);
    }),
  ).result as string;
  const cases: Array<[string, unknown[]]> = [
    ['VM.get_record', [template]],
    ['pool.get_all', []],
  ];
  for (const [method, params] of cases) {
    const body = JSON.stringify({ jsonrpc: '2.0', method, params: [session, ...params], id: 1 });
    const driver: number[] = [];
    const bare: number[] = [];
    await run(() => client.call(method, ...params)); // warm-up: JIT, sockets
    await run(() => post(body));
    // alternate so a noisy neighbour hurts both sides alike; best of each
    for (let r = 0; r < rounds; r++) {
      bare.push(await run(() => post(body)));
      driver.push(await run(() => client.call(method, ...params)));
    }
    const [d, b] = [Math.max(...driver), Math.max(...bare)];
    console.log(
      JSON.stringify({
        bench: 'xapi-driver',
        metric: `${method} calls/s, driver vs bare http (concurrency ${concurrency})`,
        value: d,
        unit: 'calls/s',
        baseline: b,
        ratio: d / b,
        goal: method === 'VM.get_record' ? '>=0.85' : undefined, // issue 20
      }),
    );
    // throughput cost per call: what the driver adds (encode, parse, normalise, limiter, session) over bare HTTP
    console.log(JSON.stringify({ bench: 'xapi-driver', metric: `${method} driver time added per call`, value: (1 / d - 1 / b) * 1e6, unit: 'µs' }));
  }
} finally {
  await client.close();
  agent.destroy();
  await sim.stop();
}
