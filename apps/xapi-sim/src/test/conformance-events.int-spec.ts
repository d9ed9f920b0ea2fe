// Conformance: event.from tokens and which add/mod/del events a token sees.
// Authority: xapi ocaml/xapi/xapi_event.ml (Token.of_string, collect_events, from_inner, from) and
// ocaml/database/db_cache_types.ml (Table.fold_over_recent, Table.fold_over_deleted).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simOver } from '../testing/conformance-fixture.js';
import { eventToken, transports, xapiError } from '../testing/xapi-test-client.js';

for (const [wire, connect] of transports) {
  describe(`conformance (${wire}): event.from as xapi_event.ml answers it`, () => {
    const c = simOver(connect);
    const net = (name: string) => c.t.call('network.create', c.s, { name_label: name, name_description: '', MTU: 1500, other_config: {} });
    const from = (token: string, timeout = 0.2) => c.t.call('event.from', c.s, ['network'], token, timeout);

    it('rejects tokens Token.of_string cannot read with EVENT_FROM_TOKEN_PARSE_FAILURE [token]', async () => {
      for (const token of ['garbage', '123', '1,2,3', '1,x', ',', '1.5,0']) {
        const e = await xapiError(() => c.t.call('event.from', c.s, ['vm'], token, 0));
        assert.deepEqual([e.code, ...e.params], ['EVENT_FROM_TOKEN_PARSE_FAILURE', token], token);
      }
      for (const token of ['', '0,0', '00000000000000000001,00000000000000000000'])
        assert.ok((await c.t.call('event.from', c.s, ['vm'], token, 0)).token);
    });

    it('shows nothing of an object born and gone between two calls, and keeps the token', async () => {
      const token = await eventToken(c.t, c.s, ['network']);
      await c.t.call('network.destroy', c.s, await net('ephemeral'));
      const batch = await from(token);
      assert.deepEqual(batch.events, []);
      assert.equal(batch.token, token, 'the token moves only over objects the subscription saw');
    });

    it('shows an object born and changed since the token as one add with the latest snapshot', async () => {
      const token = await eventToken(c.t, c.s, ['network']);
      const ref = await net('born');
      await c.t.call('network.set_name_description', c.s, ref, 'changed');
      const batch = await from(token, 5);
      assert.deepEqual(
        batch.events.map((e: any) => [e.operation, e.ref, e.snapshot.name_description]),
        [['add', ref, 'changed']],
      );
      assert.ok(Number(batch.events[0].id) < Number(batch.token.split(',')[0]), 'an add carries its creation generation; the token its last change');
    });

    it('orders adds, then mods, then dels; a del of an object the token knew has no snapshot', async () => {
      const [old, kept] = [await net('old'), await net('kept')];
      const token = await eventToken(c.t, c.s, ['network']);
      await c.t.call('network.destroy', c.s, old);
      await c.t.call('network.set_name_description', c.s, kept, 'modified');
      const fresh = await net('fresh');
      const batch = await from(token, 5);
      assert.deepEqual(
        batch.events.map((e: any) => [e.operation, e.ref]),
        [
          ['add', fresh],
          ['mod', kept],
          ['del', old],
        ],
      );
      assert.equal('snapshot' in batch.events[2], false);
      assert.equal(
        batch.events.every((e: any) => e.class === 'network' && /^\d+$/.test(e.id)),
        true,
      );
    });

    it('answers an uneventful subscription after the timeout with the same token, while others change', async () => {
      const token = await eventToken(c.t, c.s, ['network']);
      await c.t.call('pool.set_name_description', c.s, (await c.t.call('pool.get_all', c.s))[0], 'unrelated');
      const batch = await from(token, 0.3);
      assert.deepEqual([batch.events, batch.token], [[], token]);
      assert.equal(typeof batch.valid_ref_counts.vm === 'number' || typeof batch.valid_ref_counts.vm === 'string', true);
    });
  });
}
