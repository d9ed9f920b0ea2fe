// Consoles as xapi has them (ocaml/xapi/xapi_xenops.ml creates/destroys the records, ocaml/xapi/console.ml serves
// /console, ocaml/xapi/xapi_http.ml checks the session), with Debian's vncsnapshot as the referee VNC client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket, { createWebSocketStream } from 'ws';
import { TestPattern } from '../console/test-pattern.js';
import { startSimulator, type Simulator } from '../index.js';
import { httpConnect, realVncClientMissing, rfbView, StreamReader, tcpBridge, vncSnapshot, type Image } from '../testing/console-client.js';
import { JsonRpc, XmlRpc, login, templateRef } from '../testing/xapi-test-client.js';

const missing = await realVncClientMissing();
if (missing && process.env.CI === 'true') throw new Error(`CI=true but the console referee cannot run: ${missing}`);

// Mean absolute difference per channel between a picture and what the screen should show.
function difference(img: Image, expected: TestPattern): number {
  const row = new Uint8Array(expected.width * 3);
  let sum = 0;
  for (let y = 0; y < expected.height; y++) {
    expected.row(y, 0, expected.width, row);
    for (let i = 0; i < row.length; i++) sum += Math.abs(row[i] - img.rgb[y * expected.width * 3 + i]);
  }
  return sum / (expected.width * expected.height * 3);
}

describe('VM consoles: records, the /console endpoint and real RFB', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let xml: XmlRpc;
  let s: string;
  let hosts: string[];
  before(async () => {
    sim = await startSimulator({ hosts: 2 });
    json = new JsonRpc(sim.url);
    xml = new XmlRpc(sim.url);
    s = await login(json);
    hosts = sim.state.hostRefs;
  });
  after(() => sim?.close());

  async function runningVm(name: string, host = hosts[1]): Promise<{ vm: string; console: any }> {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), name);
    await json.call('VM.provision', s, vm);
    await json.call('VM.start_on', s, vm, host, false, false);
    const [c] = await json.call('VM.get_consoles', s, vm);
    return { vm, console: { ref: c, ...(await json.call('console.get_record', s, c)) } };
  }
  const cookie = () => ({ Cookie: `session_id=${s}` });
  const connect = (location: string, headers: Record<string, string> = { Cookie: `session_id=${s}` }) => httpConnect(location, headers);

  it("a running HVM VM has one rfb console at its host's /console?uuid=<console uuid>, the same on both wires; shutdown destroys it", async () => {
    const { vm, console: c } = await runningVm('con-records');
    assert.equal(c.protocol, 'rfb');
    assert.equal(c.VM, vm);
    assert.equal(c.location, `http://127.0.0.2:${sim.port}/console?uuid=${c.uuid}`);
    assert.deepEqual(await xml.call('console.get_record', s, c.ref), await json.call('console.get_record', s, c.ref));
    assert.deepEqual(await xml.call('VM.get_consoles', s, vm), [c.ref]);
    await json.call('VM.hard_shutdown', s, vm);
    assert.deepEqual(await json.call('VM.get_consoles', s, vm), []);
    assert.equal((await json.call('console.get_all', s)).includes(c.ref), false);
  });

  it('CONNECT answers 200 then speaks RFB 3.8; the session may come as cookie, query or Basic auth', async () => {
    const { vm, console: c } = await runningVm('con-connect');
    const viaCookie = await connect(c.location);
    assert.equal(viaCookie.head, 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nCache-Control: no-cache, no-store');
    const pic = await rfbView(viaCookie.socket, viaCookie.rest);
    assert.equal(pic.version, 'RFB 003.008\n');
    assert.deepEqual([pic.width, pic.height, pic.name], [640, 480, 'con-connect']);
    assert.ok(
      pic.pixels.some((b) => b !== 0),
      'a non-empty framebuffer',
    );
    viaCookie.socket.destroy();
    const viaQuery = await connect(`${c.location}&session_id=${encodeURIComponent(s)}`, {});
    assert.match(viaQuery.head, /^HTTP\/1\.1 200 OK/);
    viaQuery.socket.destroy();
    const viaBasic = await connect(c.location, { Authorization: `Basic ${Buffer.from('root:xenroot').toString('base64')}` });
    assert.match(viaBasic.head, /^HTTP\/1\.1 200 OK/);
    viaBasic.socket.destroy();
    // ?ref= of the VM picks its rfb console (console_of_request)
    const byVmRef = await connect(`${c.location.split('?')[0]}?ref=${vm}`);
    assert.match(byVmRef.head, /^HTTP\/1\.1 200 OK/);
    byVmRef.socket.destroy();
  });

  it("answers a missing or bad session with 401 and xapi's realm, a wrong host or unknown console with 500", async () => {
    const { console: c } = await runningVm('con-refused');
    for (const headers of [
      {} as Record<string, string>,
      { Cookie: 'session_id=OpaqueRef:00000000-0000-4000-8000-000000000000' },
      { Authorization: `Basic ${Buffer.from('root:nope').toString('base64')}` },
    ]) {
      const r = await connect(c.location, headers);
      assert.match(r.head, /^HTTP\/1\.0 401 Unauthorised\r\n/);
      assert.match(r.head, /WWW-Authenticate: Basic realm="Connection to VM console"/);
    }
    const otherHost = await connect(c.location.replace('127.0.0.2', '127.0.0.1'));
    assert.match(otherHost.head, /^HTTP\/1\.0 500 Internal Error/, 'check_vm_is_running_here');
    const unknown = await connect(c.location.replace(/uuid=.*/, 'uuid=00000000-0000-4000-8000-000000000000'));
    assert.match(unknown.head, /^HTTP\/1\.0 500 /);
    const plainGet = await httpConnect(c.location, cookie(), 'GET');
    assert.match(plainGet.head, /^HTTP\/1\.0 501 Method Not Implemented/, 'ws_proxy without a WebSocket upgrade');
  });

  it("vncsnapshot, a real VNC client, draws the VM's screen through CONNECT", { skip: missing }, async () => {
    const { vm, console: c } = await runningVm('con-referee');
    const bridge = await tcpBridge(async () => {
      const r = await connect(c.location);
      if (r.rest.length) r.socket.unshift(r.rest);
      return r.socket;
    });
    try {
      const img = await vncSnapshot(bridge.port);
      assert.deepEqual([img.width, img.height], [640, 480]);
      const rec = await json.call('VM.get_record', s, vm);
      const expected = new TestPattern({ name: 'con-referee', uuid: rec.uuid, host: 'sim-host-2', domid: rec.domid });
      assert.ok(difference(img, expected) < 4, `the picture is the VM's screen (mean difference ${difference(img, expected)})`);
      const other = new TestPattern({ name: 'someone-else', uuid: rec.uuid, host: 'sim-host-1', domid: rec.domid + 1 });
      assert.ok(difference(img, other) > difference(img, expected) + 0.5, "and not another VM's");
    } finally {
      await bridge.close();
    }
  });

  it('a WebSocket upgrade gets 101 with "binary" and RFB in binary frames; vncsnapshot draws through it too', { skip: missing }, async () => {
    const { console: c } = await runningVm('con-websocket');
    const wsUrl = c.location.replace(/^http/, 'ws');
    const ws = new WebSocket(wsUrl, ['binary'], { headers: cookie() });
    const first = new Promise<{ data: Buffer; binary: boolean }>((resolve) =>
      ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary })),
    );
    const upgrade = await new Promise<any>((resolve, reject) => ws.once('upgrade', resolve).once('error', reject));
    assert.equal(upgrade.statusCode, 101);
    assert.equal(upgrade.headers['sec-websocket-protocol'], 'binary');
    const frame = await first;
    assert.deepEqual([frame.data.toString('latin1'), frame.binary], ['RFB 003.008\n', true]);
    ws.close();
    // xapi always names the protocol, so a client that offered none refuses the answer
    const bare = new WebSocket(wsUrl, { headers: cookie() });
    const refused = await new Promise<Error>((resolve) => bare.once('error', resolve).once('open', () => resolve(new Error('opened'))));
    assert.match(refused.message, /subprotocol/);
    const noSession = new WebSocket(wsUrl, ['binary']);
    const denied = await new Promise<any>((resolve) =>
      noSession.once('unexpected-response', (_req, res) => resolve(res)).once('open', () => resolve({ statusCode: 101 })),
    );
    assert.equal(denied.statusCode, 401);
    noSession.on('error', () => undefined).terminate();
    const bridge = await tcpBridge(async () => {
      const sock = new WebSocket(wsUrl, ['binary'], { headers: cookie() });
      const stream = createWebSocketStream(sock); // before 'open': the server speaks first, in the same packet as the 101
      await new Promise((r, j) => sock.once('open', r).once('error', j));
      return stream;
    });
    try {
      const img = await vncSnapshot(bridge.port);
      assert.deepEqual([img.width, img.height], [640, 480]);
      assert.ok(
        img.rgb.some((b) => b > 200),
        'something bright is drawn',
      );
    } finally {
      await bridge.close();
    }
  });

  it("a reboot cuts the old domain's viewer, the same console serves the new domain; a migration moves the console", async () => {
    const { vm, console: c } = await runningVm('con-lifecycle', hosts[0]);
    const first = await connect(c.location);
    const pic = await rfbView(first.socket, first.rest);
    assert.equal(pic.name, 'con-lifecycle');
    const closed = new Promise((r) => first.socket.once('close', r));
    await json.call('VM.hard_reboot', s, vm);
    await closed;
    assert.deepEqual(await json.call('VM.get_consoles', s, vm), [c.ref], 'the record survives a reboot');
    const again = await connect(c.location);
    assert.equal((await rfbView(again.socket, again.rest)).width, 640);
    const cut = new Promise((r) => again.socket.once('close', r));
    await json.call('VM.pool_migrate', s, vm, hosts[1], {});
    await cut;
    const [moved] = await json.call('VM.get_consoles', s, vm);
    assert.notEqual(moved, c.ref, 'xapi destroys the source console and creates one for the destination');
    const location = await json.call('console.get_location', s, moved);
    assert.match(location, new RegExp(`^http://127\\.0\\.0\\.2:${sim.port}/console\\?uuid=`));
    assert.match((await connect(c.location)).head, /^HTTP\/1\.0 500 /, 'the old console is gone');
    const there = await connect(location);
    assert.equal((await rfbView(there.socket, there.rest)).name, 'con-lifecycle');
    there.socket.destroy();
  });

  // xapi_vm_snapshot.ml checkpoint suspends and resumes the VM: a new domain, whose qemu the old viewer is not on.
  it('a checkpoint of a running VM cuts the viewers of the domain it replaced; the console serves the new one', { timeout: 30_000 }, async () => {
    const { vm, console: c } = await runningVm('con-checkpoint', hosts[1]);
    const before = await connect(c.location);
    await rfbView(before.socket, before.rest);
    const closed = new Promise((r) => before.socket.once('close', r));
    const domid = await json.call('VM.get_domid', s, vm);
    await json.call('VM.checkpoint', s, vm, 'con-checkpoint-1');
    await closed;
    assert.notEqual(await json.call('VM.get_domid', s, vm), domid);
    const after = await connect(c.location);
    assert.equal((await rfbView(after.socket, after.rest)).name, 'con-checkpoint');
    after.socket.destroy();
  });

  it('serves many viewers at once and cuts one that floods it (bounded memory per session)', async () => {
    const { vm, console: c } = await runningVm('con-many');
    const viewers = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const r = await connect(c.location);
        return { ...r, pic: await rfbView(r.socket, r.rest) };
      }),
    );
    assert.ok(viewers.every((v) => v.pic.pixels.length === 640 * 480 * 4));
    assert.equal(sim.state.consoleLinks.count(vm), 40);
    for (const v of viewers) v.socket.destroy();
    const flood = await connect(c.location);
    const reader = new StreamReader(flood.socket, flood.rest);
    await reader.read(12);
    flood.socket.write('RFB 003.008\n');
    await reader.read(2);
    flood.socket.write(Buffer.from([1]));
    await reader.read(4);
    flood.socket.write(Buffer.from([1]));
    await reader.read(24 + 'con-many'.length);
    const cut = Buffer.alloc(8);
    cut.writeUInt8(6, 0);
    cut.writeUInt32BE(64 * 1024 * 1024, 4); // a 64 MiB ClientCutText is never buffered
    const closed = new Promise((r) => flood.socket.once('close', r));
    flood.socket.write(cut);
    flood.socket.write(Buffer.alloc(2 * 1024 * 1024, 0x41));
    await closed;
  });

  it('a PV guest also has a vt100 text console', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'con-pv');
    await json.call('VM.provision', s, vm);
    await json.call('VM.set_domain_type', s, vm, 'pv');
    await json.call('VM.start_on', s, vm, hosts[1], false, false);
    const consoles = await Promise.all((await json.call('VM.get_consoles', s, vm)).map((r: string) => json.call('console.get_record', s, r)));
    assert.deepEqual(consoles.map((c: any) => c.protocol).sort(), ['rfb', 'vt100']);
    const text = await connect(consoles.find((c: any) => c.protocol === 'vt100').location);
    const banner = await new StreamReader(text.socket, text.rest).read(20);
    assert.match(banner.toString('latin1'), /Debian GNU\/Linux/);
    text.socket.destroy();
  });
});
