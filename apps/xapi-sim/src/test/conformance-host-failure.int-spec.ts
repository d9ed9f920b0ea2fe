// A host crash without HA, as xapi shows it: the master keeps the dead host's guests Running there (it cannot know
// better) until VM.power_state_reset, which ocaml/xapi/xapi_vm.ml `power_state_reset` refuses for a control domain
// (CANNOT_RESET_CONTROL_DOMAIN), for a live VM on the master whose domain runs (DOMAIN_EXISTS) and for one resident
// on a host that is alive (Xapi_host.is_host_alive: HOST_IS_LIVE [host]); otherwise force_state_reset to Halted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, control, login, templateRef, xapiError } from '../testing/xapi-test-client.js';

describe('host failure and VM.power_state_reset', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let s: string;
  let h1: string;
  let h2: string;
  let h3: string;
  before(async () => {
    sim = await startSimulator({ hosts: 3 });
    json = new JsonRpc(sim.url);
    s = await login(json);
    [h1, h2, h3] = sim.state.hostRefs as [string, string, string];
  });
  after(() => sim?.close());

  async function vm(name: string, host: string): Promise<string> {
    const ref = await json.call('VM.clone', s, await templateRef(json, s), name);
    await json.call('VM.provision', s, ref);
    await json.call('VM.start_on', s, ref, host, false, false);
    return ref;
  }
  const live = async (h: string) => json.call('host_metrics.get_live', s, await json.call('host.get_metrics', s, h));

  it('refuses to reset a VM whose host is alive (HOST_IS_LIVE), one on the master (DOMAIN_EXISTS) and dom0', async () => {
    const onSlave = await vm('psr-live', h2);
    const e = await xapiError(() => json.call('VM.power_state_reset', s, onSlave));
    assert.deepEqual([e.code, e.params], ['HOST_IS_LIVE', [h2]]);
    const onMaster = await vm('psr-master', h1);
    const m = await xapiError(() => new XmlRpc(sim.url).call('VM.power_state_reset', s, onMaster));
    assert.deepEqual([m.code, m.params], ['DOMAIN_EXISTS', [onMaster]]);
    const dom0 = await json.call('host.get_control_domain', s, h1);
    const d = await xapiError(() => json.call('VM.power_state_reset', s, dom0));
    assert.deepEqual([d.code, d.params], ['CANNOT_RESET_CONTROL_DOMAIN', [dom0]]);
    assert.equal(await json.call('VM.get_power_state', s, onSlave), 'Running');
    // A halted VM has nothing to check: it stays Halted.
    await json.call('VM.hard_shutdown', s, onSlave);
    assert.equal(await json.call('VM.power_state_reset', s, onSlave), '');
    assert.equal(await json.call('VM.get_power_state', s, onSlave), 'Halted');
  });

  it('a dead host: its guests still show Running there, the reset halts them, a restart elsewhere holds when it returns', async () => {
    const a = await vm('dead-a', h3);
    const b = await vm('dead-b', h3);
    assert.equal((await control(sim.url, 'hosts/3/down', {})).status, 200);
    assert.equal(await live(h3), false);
    // The master cannot know: what the dead host last reported stands.
    assert.equal(await json.call('VM.get_power_state', s, a), 'Running');
    assert.equal(await json.call('VM.get_resident_on', s, a), h3);
    assert.ok((await json.call('host.get_resident_VMs', s, h3)).includes(a));
    // Not live: it cannot take a VM (assert_can_boot_here: HOST_NOT_LIVE).
    const r = await xapiError(() => json.call('VM.start_on', s, b, h3, false, false));
    assert.equal(r.code, 'VM_BAD_POWER_STATE'); // still Running in the records: start is refused before the host is
    assert.equal(await json.call('VM.power_state_reset', s, a), '');
    assert.equal(await json.call('VM.get_power_state', s, a), 'Halted');
    assert.equal(await json.call('VM.get_resident_on', s, a), 'OpaqueRef:NULL');
    for (const vbd of await json.call('VM.get_VBDs', s, a)) assert.equal(await json.call('VBD.get_currently_attached', s, vbd), false);
    const halted = await xapiError(() => json.call('VM.start_on', s, a, h3, false, false));
    assert.equal(halted.code, 'HOST_NOT_LIVE');
    await json.call('VM.start_on', s, a, h2, false, false);
    // Host 3 boots again: a (restarted on host 2) is untouched, b (never reset) is found Halted there.
    const up = await control(sim.url, 'hosts/3/up', {});
    assert.equal(up.body.halted, 1);
    assert.equal(await live(h3), true);
    assert.deepEqual([await json.call('VM.get_power_state', s, a), await json.call('VM.get_resident_on', s, a)], ['Running', h2]);
    assert.deepEqual([await json.call('VM.get_power_state', s, b), await json.call('VM.get_resident_on', s, b)], ['Halted', 'OpaqueRef:NULL']);
    // An `up` of a host that never went down halts nothing.
    assert.equal((await control(sim.url, 'hosts/2/up', {})).body.halted, 0);
    assert.equal(await json.call('VM.get_power_state', s, a), 'Running');
  });
});
