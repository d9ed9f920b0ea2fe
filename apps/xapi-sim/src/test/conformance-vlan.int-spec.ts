// Conformance: pool.create_VLAN_from_PIF makes one VLAN (and untagged PIF) per host, refusing as xapi does.
// Authority: xapi ocaml/xapi/xapi_pool.ml `create_VLAN_from_PIF` (a VLAN.create for every PIF on the given PIF's
// network; any failure destroys the VLANs made) and ocaml/xapi/xapi_vlan.ml `create` (VLAN_TAG_INVALID outside
// 0..4094, PIF_IS_VLAN on a VLAN's PIF, PIF_VLAN_EXISTS for a repeated tag, and xapi_pif.ml
// assert_no_other_local_pifs: NETWORK_ALREADY_CONNECTED when the network already has a PIF on that host).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simOver } from '../testing/conformance-fixture.js';
import { transports, xapiError } from '../testing/xapi-test-client.js';

for (const [wire, connect] of transports) {
  describe(`conformance (${wire}): pool.create_VLAN_from_PIF (xapi_pool.ml, xapi_vlan.ml)`, () => {
    const c = simOver(connect);
    const desc = (e: { code: string; params: unknown[] }) => [e.code, ...e.params.map(String)];
    const newNetwork = (name: string) => c.t.call('network.create', c.s, { name_label: name, name_description: '', MTU: 1500, other_config: {} });
    const eth0 = async () => {
      const [net] = await c.t.call('network.get_by_name_label', c.s, 'Pool-wide network associated with eth0');
      return { net, pifs: (await c.t.call('network.get_PIFs', c.s, net)) as string[] };
    };

    it('makes a tagged PIF on every host, on the new network, with the dummy MAC and the tag', async () => {
      const { pifs } = await eth0();
      const network = await newNetwork('vlan-ok');
      const made = (await c.t.call('pool.create_VLAN_from_PIF', c.s, pifs[0], network, 42)) as string[];
      assert.equal(made.length, pifs.length, 'one per host');
      const hosts = new Set<string>();
      for (const ref of made) {
        const pif = await c.t.call('PIF.get_record', c.s, ref);
        assert.deepEqual([pif.network, String(pif.VLAN), pif.MAC, pif.physical], [network, '42', 'fe:ff:ff:ff:ff:ff', false]);
        const vlan = await c.t.call('VLAN.get_record', c.s, pif.VLAN_master_of);
        assert.equal(vlan.untagged_PIF, ref);
        assert.ok(pifs.includes(vlan.tagged_PIF));
        hosts.add(pif.host);
      }
      assert.equal(hosts.size, pifs.length);
      assert.deepEqual([...(await c.t.call('network.get_PIFs', c.s, network))].sort(), [...made].sort());
    });

    it('refuses a tag outside 0..4094, a VLAN on a VLAN, a tag already used and a network already connected', async () => {
      const { pifs } = await eth0();
      const bad = await newNetwork('vlan-bad');
      assert.deepEqual(desc(await xapiError(() => c.t.call('pool.create_VLAN_from_PIF', c.s, pifs[0], bad, 4095))), ['VLAN_TAG_INVALID', '4095']);
      assert.deepEqual(desc(await xapiError(() => c.t.call('pool.create_VLAN_from_PIF', c.s, pifs[0], bad, -1))), ['VLAN_TAG_INVALID', '-1']);
      assert.deepEqual(await c.t.call('network.get_PIFs', c.s, bad), [], 'nothing made');
      const first = await newNetwork('vlan-7');
      const [vlanPif] = (await c.t.call('pool.create_VLAN_from_PIF', c.s, pifs[0], first, 7)) as string[];
      const onVlan = await xapiError(() => c.t.call('pool.create_VLAN_from_PIF', c.s, vlanPif, bad, 8));
      assert.equal(onVlan.code, 'PIF_IS_VLAN');
      const again = await xapiError(() => c.t.call('pool.create_VLAN_from_PIF', c.s, pifs[0], bad, 7));
      assert.deepEqual(desc(again), ['PIF_VLAN_EXISTS', 'eth0']);
      const connected = await xapiError(() => c.t.call('pool.create_VLAN_from_PIF', c.s, pifs[0], first, 9));
      assert.equal(connected.code, 'NETWORK_ALREADY_CONNECTED');
      assert.deepEqual(await c.t.call('network.get_PIFs', c.s, bad), [], 'a refused call leaves no VLAN behind');
    });
  });
}
