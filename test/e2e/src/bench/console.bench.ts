// Console relay benchmark (issue 15): full-screen RFB updates per second through the API's console gateway against
// the same updates read straight from the VM's XAPI console (HTTP CONNECT with a session, as the gateway does), with
// one viewer and with 16 at once; and the time to the RFB banner (ask + WebSocket) against a bare CONNECT.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { eventually } from '@xenplane/testing';
import { openConsole, rfbClient } from '../console/console-client.js';
import { client, OPERATOR_TOKEN, startStack } from '../stack.js';

const emit = (r: Record<string, unknown>) => console.log(JSON.stringify(r));
const ROUNDS = 40;
const VIEWERS = 16;

async function rpc(url: string, method: string, params: unknown[]): Promise<any> {
  const res = await fetch(`${url}/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

/** The XAPI console stream without us in between: CONNECT to the location with the session cookie. */
function connectDirect(location: string, session: string): Promise<Duplex> {
  const url = new URL(location);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(url.port), url.hostname, () =>
      s.write(`CONNECT ${url.pathname}${url.search} HTTP/1.0\r\nHost: ${url.host}\r\nCookie: session_id=${session}\r\n\r\n`),
    );
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      s.pause();
      if (head.length > end + 4) s.unshift(head.subarray(end + 4));
      resolve(s);
    };
    s.on('data', onData).once('error', reject);
  });
}

async function updatesPerSecond(open: () => Promise<Duplex>, viewers: number): Promise<number> {
  const streams = await Promise.all(Array.from({ length: viewers }, open));
  const clients = await Promise.all(streams.map(rfbClient));
  await Promise.all(clients.map((c) => c.update()));
  const start = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < ROUNDS; i++) await c.update();
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  for (const s of streams) s.destroy();
  return (viewers * ROUNDS) / seconds;
}

const stack = await startStack({ SIM_HOSTS: '2' }, { CONSOLE_MAX_SESSIONS_PER_VM: '64' });
try {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = (await op('POST', '/v1/flavors', { name: 'b', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body.id;
  const image = (await op('POST', '/v1/images', { name: 'b', template: 'Debian Bookworm 12' })).body.id;
  const tenant = (await op('POST', '/v1/tenants', { name: 'bench' })).body.id;
  const me = client(stack.api.url, (await op('POST', `/v1/tenants/${tenant}/api-keys`, { name: 'b', role: 'admin' })).body.token);
  const vm = (await me('POST', '/v1/vms', { name: 'bench-console', flavorId: flavor, imageId: image })).body.vm.id;
  const uuid = await eventually('running', async () => {
    const v = (await me('GET', `/v1/vms/${vm}`)).body;
    return v.status === 'running' ? (v.xapiUuid as string) : undefined;
  });
  const session = await rpc(stack.sim.url, 'session.login_with_password', ['root', 'xenroot', '1.0', 'bench']);
  const [consoleRef] = await rpc(stack.sim.url, 'VM.get_consoles', [session, await rpc(stack.sim.url, 'VM.get_by_uuid', [session, uuid])]);
  const location = await rpc(stack.sim.url, 'console.get_location', [session, consoleRef]);
  const direct = () => connectDirect(location, session);
  const gateway = async () => {
    const o = await openConsole((await me('POST', `/v1/vms/${vm}/console`)).body.url);
    if (!o.ok) throw new Error(JSON.stringify(o.body));
    return o.stream;
  };

  for (const viewers of [1, VIEWERS]) {
    const baseline = await updatesPerSecond(direct, viewers);
    const value = await updatesPerSecond(gateway, viewers);
    emit({
      bench: 'console',
      metric: `full-screen updates/s, ${viewers} viewer(s), through the gateway`,
      value,
      unit: 'updates/s',
      baseline,
      ratio: value / baseline,
    });
  }

  const banner = async (open: () => Promise<Duplex>) => {
    const start = performance.now();
    const s = await open();
    await new Promise((r) => s.once('data', r).resume());
    const ms = performance.now() - start;
    s.destroy();
    return ms;
  };
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const times = { direct: [] as number[], gateway: [] as number[] };
  for (let i = 0; i < 20; i++) {
    times.direct.push(await banner(direct));
    times.gateway.push(await banner(gateway));
  }
  const [b, v] = [median(times.direct), median(times.gateway)];
  emit({
    bench: 'console',
    metric: 'time to the RFB banner (ask for a console + WebSocket), median',
    value: v,
    unit: 'ms',
    baseline: b,
    ratio: v / b,
  });
} finally {
  await stack.stop();
}
