import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, control, login, xapiError } from '../testing/xapi-test-client.js';

// A fresh TCP connection's fate: 'ECONNREFUSED' when nothing listens, 'hung up' when the server drops it at once.
function connectError(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
    socket.once('connect', () => socket.write('GET / HTTP/1.1\r\nhost: sim\r\n\r\n'));
    socket.once('data', () => (socket.destroy(), resolve('connected')));
    socket.once('close', () => resolve('hung up'));
  });
}

describe('every host has its own address (loopback bind)', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ hosts: 3 });
  });
  after(() => sim.close());

  it('listens on 127.0.0.k with one port and keeps url on host 1', async () => {
    assert.equal(sim.url, `http://127.0.0.1:${sim.port}`);
    assert.equal(sim.hostUrl(3), `http://127.0.0.3:${sim.port}`);
    const s = await login(new JsonRpc(sim.url));
    const hosts = await new JsonRpc(sim.url).call('host.get_all_records', s);
    assert.deepEqual(
      Object.values(hosts)
        .map((h: any) => h.address)
        .sort(),
      ['127.0.0.1', '127.0.0.2', '127.0.0.3'],
    );
    for (const k of [2, 3]) assert.equal((await fetch(`${sim.hostUrl(k)}/`)).status, 200);
  });

  it('answers HOST_IS_SLAVE on a slave for logins and session calls, on both transports', async () => {
    const s = await login(new JsonRpc(sim.url));
    const slave = new JsonRpc(sim.hostUrl(2));
    const e = await xapiError(() => login(slave));
    assert.deepEqual([e.code, e.params], ['HOST_IS_SLAVE', ['127.0.0.1']]);
    const call = await xapiError(() => slave.call('VM.get_all', s));
    assert.deepEqual([call.code, call.params], ['HOST_IS_SLAVE', ['127.0.0.1']]);
    const xml = await xapiError(() => new XmlRpc(sim.hostUrl(3)).call('pool.get_all', s));
    assert.deepEqual([xml.code, xml.params], ['HOST_IS_SLAVE', ['127.0.0.1']]);
  });

  it('moves the master with POST /sim/master; sessions survive the move', async () => {
    const s = await login(new JsonRpc(sim.url));
    try {
      assert.equal((await control(sim.url, 'master', { host: 2 })).body.address, '127.0.0.2');
      const old = await xapiError(() => new JsonRpc(sim.url).call('pool.get_all', s));
      assert.deepEqual([old.code, old.params], ['HOST_IS_SLAVE', ['127.0.0.2']]);
      const master = new JsonRpc(sim.hostUrl(2));
      assert.equal((await master.call('pool.get_all', s)).length, 1);
      assert.match(await login(master), /^OpaqueRef:/);
      assert.equal((await control(sim.url, 'state')).body.master, 2);
    } finally {
      await control(sim.url, 'master', { host: 1 });
    }
  });

  it('takes a host down (connections refused, metrics not live) and brings it back', async () => {
    const json = new JsonRpc(sim.url);
    const s = await login(json);
    const token = (await json.call('event.from', s, ['pool'], '', 0.1)).token;
    const pending = json.call('event.from', s, ['vm'], token, 30.0).then(
      () => 'answered',
      () => 'cut off',
    );
    const [down] = await Promise.all([control(sim.url, 'hosts/1/down', {}), new Promise((r) => setTimeout(r, 50))]);
    assert.deepEqual(down.body, { ok: true, host: 1, up: false, perHost: true });
    assert.equal(await pending, 'cut off', 'an open long poll ends with the host');
    assert.equal(await connectError(sim.url), 'ECONNREFUSED');
    try {
      const st = (await control(sim.hostUrl(2), 'state')).body;
      assert.deepEqual(
        st.hosts.map((h: any) => h.up),
        [false, true, true],
      );
      await control(sim.hostUrl(2), 'master', { host: 2 });
      const s2 = await login(new JsonRpc(sim.hostUrl(2)));
      const h1 = sim.state.hostRefs[0];
      const metrics = await new JsonRpc(sim.hostUrl(2)).call('host.get_metrics', s2, h1);
      assert.equal(await new JsonRpc(sim.hostUrl(2)).call('host_metrics.get_live', s2, metrics), false);
    } finally {
      assert.equal((await control(sim.hostUrl(2), 'hosts/1/up', {})).status, 200);
      await control(sim.hostUrl(2), 'master', { host: 1 });
    }
    assert.match(await login(json), /^OpaqueRef:/, 'host 1 answers again');
    assert.equal((await control(sim.url, 'hosts/9/down', {})).status, 404);
  });
});

describe('a wildcard bind', () => {
  it('tells hosts apart by local address, and hangs up on a downed host', async () => {
    const sim = await startSimulator({ host: '0.0.0.0' }); // all of 127/8 reaches a wildcard bind on Linux
    try {
      const slave = new JsonRpc(`http://127.0.0.2:${sim.port}`);
      const e = await xapiError(() => login(slave));
      assert.deepEqual([e.code, e.params], ['HOST_IS_SLAVE', ['127.0.0.1']]);
      assert.match(await login(new JsonRpc(sim.url)), /^OpaqueRef:/);
      await control(sim.url, 'master', { host: 2 });
      assert.match(await login(slave), /^OpaqueRef:/, 'host 2 is now the master');
      assert.equal((await control(sim.url, 'hosts/2/down', {})).body.perHost, false);
      assert.match(await connectError(`http://127.0.0.2:${sim.port}`), /hung up|ECONNRESET/);
    } finally {
      await sim.close();
    }
  });
});

describe('an old host without JSON-RPC', () => {
  it('answers /jsonrpc with 200 text/xml, and serves XML-RPC there, until switched back', async () => {
    const sim = await startSimulator({ jsonRpc: false });
    try {
      const res = await new JsonRpc(sim.url)
        .raw({ jsonrpc: '2.0', method: 'session.login_with_password', params: ['root', 'xenroot'], id: 1 })
        .catch((e) => e);
      assert.ok(res instanceof SyntaxError, 'the body is not JSON');
      const raw = await fetch(`${sim.url}/jsonrpc`, {
        method: 'POST',
        body: JSON.stringify({ jsonrpc: '2.0', method: 'pool.get_all', params: [], id: 1 }),
      });
      assert.deepEqual([raw.status, raw.headers.get('content-type')], [200, 'text/xml']);
      assert.match(await login(new XmlRpc(sim.url, '/jsonrpc')), /^OpaqueRef:/);
      assert.equal((await control(sim.url, 'state')).body.jsonrpc, false);
      await control(sim.url, 'transport', { jsonrpc: true });
      assert.match(await login(new JsonRpc(sim.url)), /^OpaqueRef:/);
    } finally {
      await sim.close();
    }
  });
});
