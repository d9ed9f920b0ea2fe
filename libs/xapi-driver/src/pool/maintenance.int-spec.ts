// Consoles, live migration and host maintenance through XapiPool, against the simulator presenting a current and
// older xapi releases (host.evacuate gained `network` in xapi 1.297.0 and `evacuate_batch_size` in 23.27.0,
// ocaml/idl/datamodel_host.ml); vncsnapshot (Debian) is the real VNC client on the console stream.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import { knownArity } from '../client/arity-probe.js';
import type { XapiClient } from '../client/xapi-client.js';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { selfSignedCertificate, startTlsFront } from '@xenplane/testing';
import { simControl, simHostUrl, simState } from '@xenplane/testing';
import { simClient, startSim, type SimProcess } from '../testing/sim-control.js';
import { provision } from '../testing/provision.js';
import { XapiPool } from './xapi-pool.js';

const exec = promisify(execFile);
const vncMissing = await exec('sh', ['-c', 'command -v vncsnapshot']).then(
  () => undefined,
  () => 'vncsnapshot missing (apt-get install vncsnapshot)',
);
if (vncMissing && process.env.CI === 'true') throw new Error(`CI=true but ${vncMissing}`);

async function readExactly(stream: Duplex, n: number): Promise<Buffer> {
  let buf = Buffer.alloc(0);
  for await (const chunk of stream) {
    buf = Buffer.concat([buf, chunk as Buffer]);
    if (buf.length >= n) return buf.subarray(0, n);
  }
  throw new Error(`stream ended after ${buf.length} bytes`);
}

// A loopback port piping each connection into a console stream the driver opens, for vncsnapshot.
async function snapshotThrough(open: () => Promise<Duplex>): Promise<number> {
  const server = net.createServer((client) => {
    open().then(
      (up) => {
        up.on('error', () => client.destroy()).on('close', () => client.destroy());
        client.on('error', () => up.destroy()).on('close', () => up.destroy());
        up.pipe(client).pipe(up);
      },
      () => client.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = await mkdtemp(join(tmpdir(), 'driver-vnc-'));
  try {
    const jpg = join(dir, 'screen.jpg');
    await exec('vncsnapshot', ['-quiet', '-allowblank', `127.0.0.1::${(server.address() as net.AddressInfo).port}`, jpg], { timeout: 30_000 });
    return (await stat(jpg)).size;
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('XapiPool: consoles, migration and maintenance (current xapi)', () => {
  let sim: SimProcess;
  let client: XapiClient;
  let pool: XapiPool;
  let hosts: string[];
  let vm: string;
  before(async () => {
    sim = await startSim({ SIM_HOSTS: '3' });
    client = simClient(sim);
    pool = new XapiPool(client);
    hosts = (await pool.listHosts()).map((h) => h.ref);
    vm = (await provision(pool, { template: 'Debian Bookworm 12', nameLabel: 'driver-console', otherConfig: {}, memoryBytes: 1024 ** 3, vcpus: 1 }))
      .ref;
    await pool.startVm(vm, hosts[1]);
  });
  after(async () => {
    await client?.close();
    await sim?.stop();
  });

  it("finds the VM's rfb console and opens its RFB stream over CONNECT and WebSocket", async () => {
    const c = await pool.vmConsole(vm);
    assert.equal(c.protocol, 'rfb');
    assert.match(c.location, /^http:\/\/127\.0\.0\.2:\d+\/console\?uuid=[0-9a-f-]{36}$/);
    assert.doesNotMatch(c.location, /session/);
    for (const transport of ['connect', 'websocket'] as const) {
      const stream = await pool.openVmConsole(vm, { transport });
      assert.equal((await readExactly(stream, 12)).toString('latin1'), 'RFB 003.008\n', transport);
      stream.destroy();
    }
    await assert.rejects(pool.vmConsole(vm, 'vt100'), (e: unknown) => e instanceof XapiError && e.code === 'NO_CONSOLE');
  });

  // A pool's HTTPS (here a TLS front on the VM's host) serves /console too: its stream trusts what the calls trust.
  it("over HTTPS opens the console only with the pool's pinned certificate, on both transports", async () => {
    const [cert, other] = [selfSignedCertificate('pool-host'), selfSignedCertificate('someone-else')];
    const front = await startTlsFront(simHostUrl(sim, 2), cert);
    const pinned = simClient(sim, { tls: { fingerprint256: cert.fingerprint256 } });
    const wrong = simClient(sim, { tls: { fingerprint256: other.fingerprint256 } });
    try {
      const at = new URL((await pool.vmConsole(vm)).location);
      const location = `${front.url}${at.pathname}${at.search}`;
      for (const transport of ['connect', 'websocket'] as const) {
        const stream = await pinned.openConsole(location, { transport });
        assert.equal((await readExactly(stream, 12)).toString('latin1'), 'RFB 003.008\n', transport);
        stream.destroy();
        const before = front.bytesReceived();
        const err = await wrong.openConsole(location, { transport }).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof XapiTransportError && err.kind === 'tls', `${transport}: ${String(err)}`);
        assert.equal(front.bytesReceived(), before, 'not one byte (the session cookie) reached the untrusted server');
      }
    } finally {
      await Promise.all([pinned.close(), wrong.close()]);
      await front.close();
    }
  });

  it('logs in again when the console refuses a stale session, and never puts the session in an error', async () => {
    await simControl(sim, '/sim/sessions/invalidate');
    const stream = await pool.openVmConsole(vm);
    assert.equal((await readExactly(stream, 12)).toString('latin1'), 'RFB 003.008\n');
    stream.destroy();
    const c = await pool.vmConsole(vm);
    const wrongHost = c.location.replace('127.0.0.2', '127.0.0.1');
    const err = await client.openConsole(wrongHost).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof XapiTransportError && err.details.status === 500, String(err));
    assert.doesNotMatch(`${String(err)} ${JSON.stringify(err)}`, /OpaqueRef/);
  });

  it("vncsnapshot draws the console through the driver's stream, on both transports", { skip: vncMissing }, async () => {
    for (const transport of ['connect', 'websocket'] as const) {
      assert.ok((await snapshotThrough(() => pool.openVmConsole(vm, { transport }))) > 1000, `${transport}: a JPEG of the screen`);
    }
  });

  it('migrates live (idempotently), checks a migration first, and the console follows', async () => {
    await pool.assertCanMigrate(vm, hosts[2]);
    await pool.migrateVm(vm, hosts[2]);
    assert.equal((await pool.getVm(vm)).resident_on, hosts[2]);
    await pool.migrateVm(vm, hosts[2]);
    assert.match((await pool.vmConsole(vm)).location, /^http:\/\/127\.0\.0\.3:/);
    await pool.disableHost(hosts[1]);
    await assert.rejects(pool.assertCanMigrate(vm, hosts[1]), (e: unknown) => e instanceof XapiError && e.code === 'HOST_DISABLED');
    await assert.rejects(pool.migrateVm(vm, hosts[1]), (e: unknown) => e instanceof XapiError && e.code === 'HOST_DISABLED');
    await pool.enableHost(hosts[1]);
  });

  it('evacuates a host with the full signature, reporting what prevents it first', async () => {
    const other = (
      await provision(pool, { template: 'Debian Bookworm 12', nameLabel: 'driver-paused', otherConfig: {}, memoryBytes: 1024 ** 3, vcpus: 1 })
    ).ref;
    await pool.startVm(other, hosts[2]);
    await client.call('VM.pause', other);
    assert.deepEqual(await pool.vmsPreventingEvacuation(hosts[2]), {
      [other]: { code: 'VM_BAD_POWER_STATE', params: [other, 'running', 'paused'] },
    });
    await assert.rejects(pool.assertCanEvacuate(hosts[2]), (e: unknown) => e instanceof XapiError && e.code === 'CANNOT_EVACUATE_HOST');
    await client.call('VM.unpause', other);
    await pool.disableHost(hosts[2]);
    await pool.evacuateHost(hosts[2], { batchSize: 1 });
    assert.equal(knownArity(client, 'host.evacuate'), 3);
    for (const v of [vm, other]) assert.notEqual((await pool.getVm(v)).resident_on, hosts[2]);
    await pool.enableHost(hosts[2]);
  });
});

// 2.15 refuses the newest host.evacuate (MESSAGE_PARAMETER_COUNT_MISMATCH names its one parameter); 2.20 takes it,
// since a message with a defaulted param ignores trailing arguments it lacks (gen_server.ml), the batch size a hint.
for (const [version, arity, calls] of [
  ['2.15', 1, 2],
  ['2.20', 3, 1],
] as const) {
  describe(`XapiPool.evacuateHost on an older xapi (API ${version})`, () => {
    let sim: SimProcess;
    let client: XapiClient;
    let pool: XapiPool;
    before(async () => {
      sim = await startSim({ SIM_API_VERSION: version });
      client = simClient(sim);
      pool = new XapiPool(client);
    });
    after(async () => {
      await client?.close();
      await sim?.stop();
    });

    it(`settles on ${arity} parameter(s) in ${calls} call(s), once per pool`, async () => {
      const [h1, h2] = (await pool.listHosts()).map((h) => h.ref) as [string, string];
      const vm = (await provision(pool, { template: 'Debian Bookworm 12', nameLabel: 'old-evac', otherConfig: {}, memoryBytes: 1024 ** 3, vcpus: 1 }))
        .ref;
      await pool.startVm(vm, h1);
      await pool.evacuateHost(h1);
      assert.equal((await pool.getVm(vm)).resident_on, h2);
      assert.equal(knownArity(client, 'host.evacuate'), arity);
      const made = (await simState(sim)).calls['Async.host.evacuate'];
      assert.equal(made, calls, calls === 2 ? "the newest signature, then the pool's own" : 'the newest signature, taken');
      await pool.evacuateHost(h2);
      assert.equal((await simState(sim)).calls['Async.host.evacuate'], calls + 1, 'the second evacuation does not probe again');
      const [mgmt] = await client.call<string[]>('network.get_by_name_label', 'Pool-wide network associated with eth0');
      const withNetwork = pool.evacuateHost(h1, { network: mgmt });
      if (arity < 2) await assert.rejects(withNetwork, (e: unknown) => e instanceof XapiError && e.code === 'NOT_SUPPORTED_BY_POOL');
      else await withNetwork;
    });
  });
}
