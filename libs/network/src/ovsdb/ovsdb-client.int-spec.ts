import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ovsdbSkipReason, startOvsdbServer, type OvsdbServerFixture } from '../testing/ovsdb-server.fixture.js';
import { OvsdbClient } from './ovsdb.client.js';
import { byUuid, op, waitNoRows, waitRowUnchanged } from './ovsdb-operation.builder.js';
import { OvsdbTransactionError } from './ovsdb-operation.types.js';
import { NamedUuid, Uuid } from './ovsdb-value.codec.js';
import { findBridgeByName, findVifInterfaces, VSWITCH_DB } from './vswitch.queries.js';

const skip = ovsdbSkipReason();

/** Bridge br-int with one xapi-style VIF port, plus the root Open_vSwitch row. */
function plugOps(vif: string, vifUuid: string, mac: string) {
  return [
    op.insert('Interface', { name: vif, type: '', external_ids: { 'xs-vif-uuid': vifUuid, 'attached-mac': mac, 'xs-vm-uuid': 'vm-1' } }, 'iface'),
    op.insert('Port', { name: vif, interfaces: new NamedUuid('iface') }, 'port'),
    op.insert('Bridge', { name: 'br-int', fail_mode: 'secure', ports: [new NamedUuid('port')] }, 'br'),
    op.insert('Open_vSwitch', { bridges: [new NamedUuid('br')] }),
  ] as const;
}

describe('OvsdbClient against a real ovsdb-server', { skip }, () => {
  let srv: OvsdbServerFixture;
  let client: OvsdbClient;
  before(async () => {
    srv = await startOvsdbServer({ tcp: true });
    client = new OvsdbClient({ endpoint: srv.unixRemote, reconnect: false });
    await client.connect();
  });
  after(async () => {
    await client?.close();
    await srv?.stop();
  });

  test('list_dbs and get_schema over the unix socket', async () => {
    assert.deepEqual((await client.listDbs()).sort(), ['Open_vSwitch', '_Server']);
    const schema = await client.getSchema(VSWITCH_DB);
    assert.equal(schema.name, 'Open_vSwitch');
    assert.ok(schema.tables.Interface?.columns.external_ids);
  });

  test('the same over TCP, with echo', async () => {
    const tcp = new OvsdbClient({ endpoint: `tcp:127.0.0.1:${srv.tcpPort}`, reconnect: false });
    await tcp.connect();
    try {
      assert.ok((await tcp.listDbs()).includes('Open_vSwitch'));
      assert.deepEqual(await tcp.echo('ping', 1), ['ping', 1]);
    } finally {
      await tcp.close();
    }
  });

  test('transact inserts Bridge + Port + Interface and reads them back typed', async () => {
    const [iface, port, br, root] = await client.transact(VSWITCH_DB, plugOps('vif1.0', 'vif-uuid-1', '02:00:00:00:0a:01'));
    assert.ok(iface.uuid instanceof Uuid && port.uuid instanceof Uuid && br.uuid instanceof Uuid && root.uuid instanceof Uuid);
    const vifs = await findVifInterfaces(client);
    assert.deepEqual(
      vifs.map((v) => [v.uuid, v.name, v.vifUuid, v.attachedMac, v.vmUuid, v.ofport]),
      [[iface.uuid.uuid, 'vif1.0', 'vif-uuid-1', '02:00:00:00:0a:01', 'vm-1', undefined]],
    );
    const bridge = await findBridgeByName(client, 'br-int');
    assert.equal(bridge?.uuid, br.uuid.uuid);
    assert.equal(bridge?.failMode, 'secure');
    assert.deepEqual(bridge?.portUuids, [port.uuid.uuid]);
    assert.equal(await findBridgeByName(client, 'nope'), undefined);
    const [sel] = await client.transact(VSWITCH_DB, [op.select('Port', byUuid(port.uuid), ['name', 'interfaces'])]);
    assert.deepEqual(sel.rows, [{ name: 'vif1.0', interfaces: new Uuid(iface.uuid.uuid) }]);
  });

  test('a wait-guarded transaction applies only if the row is as we saw it', async () => {
    const bridge = (await findBridgeByName(client, 'br-int'))!;
    const [seen] = await client.transact(VSWITCH_DB, [op.select('Bridge', byUuid(bridge.uuid), ['fail_mode', 'external_ids'])]);
    const row = seen.rows[0];
    const guarded = (value: string) =>
      [waitRowUnchanged('Bridge', bridge.uuid, row), op.update('Bridge', byUuid(bridge.uuid), { external_ids: { owner: value } })] as const;
    srv.vsctl('set', 'Bridge', 'br-int', 'fail_mode=standalone'); // someone else changes it underneath
    await assert.rejects(
      client.transact(VSWITCH_DB, guarded('stale')),
      (e: unknown) => e instanceof OvsdbTransactionError && e.index === 0 && e.error === 'timed out' && e.operation?.op === 'wait',
    );
    assert.deepEqual((await findBridgeByName(client, 'br-int'))?.externalIds, {});
    const [fresh] = await client.transact(VSWITCH_DB, [op.select('Bridge', byUuid(bridge.uuid), ['fail_mode', 'external_ids'])]);
    const [, upd] = await client.transact(VSWITCH_DB, [
      waitRowUnchanged('Bridge', bridge.uuid, fresh.rows[0]),
      op.update('Bridge', byUuid(bridge.uuid), { external_ids: { owner: 'us' } }),
    ]);
    assert.equal(upd.count, 1);
    assert.deepEqual((await findBridgeByName(client, 'br-int'))?.externalIds, { owner: 'us' });
  });

  test('waitNoRows makes a create idempotent; other op errors surface too', async () => {
    await assert.rejects(
      client.transact(VSWITCH_DB, [waitNoRows('Bridge', [['name', '==', 'br-int']]), op.insert('Bridge', { name: 'br-int' })]),
      (e: unknown) => e instanceof OvsdbTransactionError && e.error === 'timed out',
    );
    await assert.rejects(
      client.transact(VSWITCH_DB, [op.insert('Bridge', { no_such_column: 1 })]),
      (e: unknown) => e instanceof OvsdbTransactionError && e.index === 0 && /syntax error|unknown column/.test(e.message),
    );
    // a referential-integrity failure is reported after the operations, at commit time
    await assert.rejects(
      client.transact(VSWITCH_DB, [op.insert('Port', { name: 'orphan', interfaces: new Uuid('00000000-0000-4000-8000-000000000001') })]),
      (e: unknown) => e instanceof OvsdbTransactionError && e.index === 1 && e.operation === undefined && /referential integrity/.test(e.error),
    );
  });

  test('keepalive echo keeps an idle session up, and declares a stopped server dead', async () => {
    const c = new OvsdbClient({ endpoint: srv.unixRemote, reconnect: false, echoIntervalMs: 100, echoTimeoutMs: 300 });
    await c.connect();
    try {
      await sleep(500); // several idle intervals: echoes go out and are answered
      assert.equal(c.connected, true);
      const gone = new Promise<Error>((r) => c.once('disconnect', r));
      srv.signal('SIGSTOP');
      try {
        const err = await gone;
        assert.match(err.message, /keepalive failed/);
      } finally {
        srv.signal('SIGCONT');
      }
      assert.equal(c.connected, false);
      await assert.rejects(c.listDbs(), /not connected/);
    } finally {
      await c.close();
    }
  });
});

describe('the server-side inactivity probe', { skip }, () => {
  let srv: OvsdbServerFixture;
  before(async () => {
    srv = await startOvsdbServer({ managerRemotes: true });
  });
  after(async () => srv?.stop());

  test('the server echo is answered, so an idle TCP session survives its probe', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as net.AddressInfo;
        s.close(() => resolve(p));
      });
    });
    srv.vsctl('init');
    srv.vsctl('set-manager', `ptcp:${port}:127.0.0.1`);
    srv.vsctl('set', 'Manager', '.', 'inactivity_probe=1000');
    const c = new OvsdbClient({ endpoint: `tcp:127.0.0.1:${port}`, reconnect: false, echoIntervalMs: 0 });
    for (let i = 0; ; i++) {
      try {
        await c.connect();
        break;
      } catch (err) {
        if (i > 50) throw err;
        await sleep(20);
      }
    }
    try {
      const echoes: unknown[] = [];
      c.on('echo-request', (p) => echoes.push(p));
      await sleep(2600); // > 2 probe intervals: without replies the server would have dropped us
      assert.ok(echoes.length >= 1, 'the server probed us');
      assert.equal(c.connected, true);
      assert.ok((await c.listDbs()).includes('Open_vSwitch'));
    } finally {
      await c.close();
    }
  });
});
