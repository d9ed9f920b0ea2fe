import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { ovsdbSkipReason, startOvsdbServer, type OvsdbServerFixture } from '../testing/ovsdb-server.fixture.js';
import { OvsdbClient } from './ovsdb.client.js';
import type { OvsdbMonitor } from './ovsdb-monitor.handle.js';
import { op } from './ovsdb-operation.builder.js';
import type { RowChange } from './ovsdb-table.cache.js';
import { NamedUuid } from './ovsdb-value.codec.js';
import { bridgeFromCache, vifInterfacesFromCache, vifMonitorSpec, VSWITCH_DB } from './vswitch.queries.js';

const skip = ovsdbSkipReason();

const vifRow = (name: string, vifUuid: string, mac: string) => ({ name, type: '', external_ids: { 'xs-vif-uuid': vifUuid, 'attached-mac': mac } });

/** Adds a VIF port to br-int in one transaction. */
function plug(c: OvsdbClient, name: string, vifUuid: string, mac: string) {
  return c.transact(VSWITCH_DB, [
    op.insert('Interface', vifRow(name, vifUuid, mac), 'i'),
    op.insert('Port', { name, interfaces: new NamedUuid('i') }, 'p'),
    op.mutate('Bridge', [['name', '==', 'br-int']], [['ports', 'insert', [new NamedUuid('p')]]]),
  ]);
}

const nextChanges = (m: OvsdbMonitor) => once(m, 'change').then(([c]) => c as RowChange[]);
const vifView = (m: OvsdbMonitor) => vifInterfacesFromCache(m.cache).map((v) => `${v.name}:${v.vifUuid}:${v.attachedMac}:${v.ofport ?? '-'}`);

describe('monitors against a real ovsdb-server', { skip }, () => {
  let srv: OvsdbServerFixture;
  let client: OvsdbClient;
  before(async () => {
    srv = await startOvsdbServer();
    srv.vsctl('init');
    srv.vsctl('add-br', 'br-int');
    client = new OvsdbClient({ endpoint: srv.unixRemote, reconnect: { initialDelayMs: 50, maxDelayMs: 400 } });
    await client.connect();
    await plug(client, 'vif1.0', 'vif-1', '02:00:00:00:0a:01');
  });
  after(async () => {
    await client?.close();
    await srv?.stop();
  });

  test('monitor_cond: initial state, then live insert, modify and delete in the cache', async () => {
    const m = await client.monitor(VSWITCH_DB, vifMonitorSpec());
    assert.equal(m.method, 'monitor_cond');
    assert.deepEqual(vifView(m), ['vif1.0:vif-1:02:00:00:00:0a:01:-']);
    assert.equal(bridgeFromCache(m.cache, 'br-int')?.portUuids.length, 2); // br-int's internal port + vif1.0

    const inserted = nextChanges(m);
    await plug(client, 'vif2.0', 'vif-2', '02:00:00:00:0a:02');
    // the update2 for our own transaction arrives before its reply, so the cache is already current
    assert.deepEqual(vifView(m), ['vif1.0:vif-1:02:00:00:00:0a:01:-', 'vif2.0:vif-2:02:00:00:00:0a:02:-']);
    assert.ok((await inserted).some((c) => c.table === 'Interface' && c.kind === 'insert' && c.new?.name === 'vif2.0'));

    // ofport goes [] -> 7 -> 9 (optional column: set diff on the wire) and a map key changes
    await client.transact(VSWITCH_DB, [op.update('Interface', [['name', '==', 'vif2.0']], { ofport: 7 })]);
    assert.deepEqual(vifView(m)[1], 'vif2.0:vif-2:02:00:00:00:0a:02:7');
    const modified = nextChanges(m);
    srv.vsctl('set', 'Interface', 'vif2.0', 'ofport=9', 'external_ids:attached-mac=02:00:00:00:0a:99', 'external_ids:extra=1');
    const mod = (await modified).find((c) => c.table === 'Interface')!;
    assert.equal(mod.kind, 'modify');
    assert.deepEqual(vifView(m)[1], 'vif2.0:vif-2:02:00:00:00:0a:99:9');
    assert.deepEqual(m.cache.get('Interface', mod.uuid)?.external_ids, { 'xs-vif-uuid': 'vif-2', 'attached-mac': '02:00:00:00:0a:99', extra: '1' });

    const deleted = nextChanges(m);
    srv.vsctl('del-port', 'br-int', 'vif1.0');
    assert.ok((await deleted).some((c) => c.table === 'Interface' && c.kind === 'delete' && c.old?.name === 'vif1.0'));
    assert.deepEqual(vifView(m), ['vif2.0:vif-2:02:00:00:00:0a:99:9']);
    await m.cancel();
  });

  test('monitor_cond honours a where condition on external_ids', async () => {
    const m = await client.monitor(VSWITCH_DB, {
      Interface: { columns: ['name', 'external_ids'], where: [['external_ids', 'includes', { 'xs-vif-uuid': 'vif-3' }]] },
    });
    assert.equal(m.cache.table('Interface').size, 0);
    const seen = nextChanges(m);
    await plug(client, 'vif3.0', 'vif-3', '02:00:00:00:0a:03');
    await plug(client, 'vif4.0', 'vif-4', '02:00:00:00:0a:04');
    assert.deepEqual(
      (await seen).map((c) => c.new?.name),
      ['vif3.0'],
    );
    assert.deepEqual(
      m.rows('Interface').map(([, r]) => r.name),
      ['vif3.0'],
    );
    await m.cancel();
  });

  test('plain monitor (update notifications) keeps the same cache', async () => {
    const m = await client.monitor(VSWITCH_DB, vifMonitorSpec(), { method: 'monitor' });
    assert.equal(m.method, 'monitor');
    assert.deepEqual(
      vifView(m).map((v) => v.split(':')[0]),
      ['vif2.0', 'vif3.0', 'vif4.0'],
    );
    srv.vsctl('set', 'Interface', 'vif3.0', 'ofport=3');
    await nextChanges(m);
    assert.ok(vifView(m).includes('vif3.0:vif-3:02:00:00:00:0a:03:3'));
    srv.vsctl('del-port', 'br-int', 'vif4.0');
    await nextChanges(m);
    assert.deepEqual(
      vifView(m).map((v) => v.split(':')[0]),
      ['vif2.0', 'vif3.0'],
    );
    await m.cancel();
  });

  test('kill and restart ovsdb-server: reconnect, re-monitor, cache matches the new state', async () => {
    const m = await client.monitor(VSWITCH_DB, { ...vifMonitorSpec(), Port: { columns: ['name'] } });
    const disconnected = once(client, 'disconnect');
    await srv.kill();
    await disconnected;
    assert.equal(client.connected, false);
    // while the server is down, the database changes (offline edit): vif2.0 goes, vif5.0 arrives
    const bridge = bridgeFromCache(m.cache, 'br-int')!;
    const port2 = m.rows('Port').find(([, r]) => r.name === 'vif2.0')![0];
    const out = execFileSync(
      'ovsdb-tool',
      [
        'transact',
        srv.dbPath,
        JSON.stringify([
          VSWITCH_DB,
          { op: 'mutate', table: 'Bridge', where: [['_uuid', '==', ['uuid', bridge.uuid]]], mutations: [['ports', 'delete', ['uuid', port2]]] },
          {
            op: 'insert',
            table: 'Interface',
            'uuid-name': 'i',
            row: {
              name: 'vif5.0',
              external_ids: [
                'map',
                [
                  ['xs-vif-uuid', 'vif-5'],
                  ['attached-mac', '02:00:00:00:0a:05'],
                ],
              ],
            },
          },
          { op: 'insert', table: 'Port', 'uuid-name': 'p', row: { name: 'vif5.0', interfaces: ['named-uuid', 'i'] } },
          {
            op: 'mutate',
            table: 'Bridge',
            where: [['_uuid', '==', ['uuid', bridge.uuid]]],
            mutations: [['ports', 'insert', ['set', [['named-uuid', 'p']]]]],
          },
        ]),
      ],
      { encoding: 'utf8' },
    );
    assert.doesNotMatch(out, /error/);
    const resynced = once(m, 'resync');
    const reconnected = once(client, 'connect');
    await srv.restart();
    assert.deepEqual((await reconnected)[0], { reconnected: true });
    await resynced;
    assert.deepEqual(vifView(m), ['vif3.0:vif-3:02:00:00:00:0a:03:3', 'vif5.0:vif-5:02:00:00:00:0a:05:-']);
    // and live updates flow again on the new session
    const live = nextChanges(m);
    await plug(client, 'vif6.0', 'vif-6', '02:00:00:00:0a:06');
    await live;
    assert.equal(vifView(m).length, 3);
  });
});
