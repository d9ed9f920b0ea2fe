// Conformance: event.from tokens and which add/mod/del events a token sees.
// Authority: xapi ocaml/xapi/xapi_event.ml (Token.of_string, collect_events, from_inner, from) and
// ocaml/database/db_cache_types.ml (Table.fold_over_recent, Table.fold_over_deleted).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { eventToken, login, transports, xapiError, type Transport } from '../testing/xapi-test-client.js';

for (const [wire, connect] of transports) {
  describe(`conformance (${wire}): event.from as xapi_event.ml answers it`, () => {
    let sim: Simulator;
    let t: Transport;
    let s: string;
    before(async () => {
      sim = await startSimulator();
      t = connect(sim.url);
      s = await login(t);
    });
    after(() => sim.close());
    const net = (name: string) => t.call('network.create', s, { name_label: name, name_description: '', MTU: 1500, other_config: {} });
    const from = (token: string, timeout = 0.2) => t.call('event.from', s, ['network'], token, timeout);

    it('rejects tokens Token.of_string cannot read with EVENT_FROM_TOKEN_PARSE_FAILURE [token]', async () => {
      for (const token of ['garbage', '123', '1,2,3', '1,x', ',', '1.5,0']) {
        const e = await xapiError(() => t.call('event.from', s, ['vm'], token, 0));
        assert.deepEqual([e.code, ...e.params], ['EVENT_FROM_TOKEN_PARSE_FAILURE', token], token);
      }
      for (const token of ['', '0,0', '00000000000000000001,00000000000000000000']) assert.ok((await t.call('event.from', s, ['vm'], token, 0)).token);
    });

    it('shows nothing of an object born and gone between two calls, and keeps the token', async () => {
      const token = await eventToken(t, s, ['network']);
      await t.call('network.destroy', s, await net('ephemeral'));
      const batch = await from(token);
      assert.deepEqual(batch.events, []);
      assert.equal(batch.token, token, 'the token moves only over objects the subscription saw');
    });

    it('shows an object born and changed since the token as one add with the latest snapshot', async () => {
      const token = await eventToken(t, s, ['network']);
      const ref = await net('born');
      await t.call('network.set_name_description', s, ref, 'changed');
      const batch = await from(token, 5);
      assert.deepEqual(batch.events.map((e: any) => [e.operation, e.ref, e.snapshot.name_description]), [['add', ref, 'changed']]);
      assert.ok(Number(batch.events[0].id) < Number(batch.token.split(',')[0]), 'an add carries its creation generation; the token its last change');
    });

    it('orders adds, then mods, then dels; a del of an object the token knew has no snapshot', async () => {
      const [old, kept] = [await net('old'), await net('kept')];
      const token = await eventToken(t, s, ['network']);
      await t.call('network.destroy', s, old);
      await t.call('network.set_name_description', s, kept, 'modified');
      const fresh = await net('fresh');
      const batch = await from(token, 5);
      assert.deepEqual(batch.events.map((e: any) => [e.operation, e.ref]), [['add', fresh], ['mod', kept], ['del', old]]);
      assert.equal('snapshot' in batch.events[2], false);
      assert.equal(batch.events.every((e: any) => e.class === 'network' && /^\d+$/.test(e.id)), true);
    });

    it('answers an uneventful subscription after the timeout with the same token, while others change', async () => {
      const token = await eventToken(t, s, ['network']);
      await t.call('pool.set_name_description', s, (await t.call('pool.get_all', s))[0], 'unrelated');
      const batch = await from(token, 0.3);
      assert.deepEqual([batch.events, batch.token], [[], token]);
      assert.equal(typeof batch.valid_ref_counts.vm === 'number' || typeof batch.valid_ref_counts.vm === 'string', true);
    });
  });
}
