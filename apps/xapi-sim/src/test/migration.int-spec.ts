// Live migration and host maintenance as xapi does them: ocaml/xapi/message_forwarding.ml (VM.pool_migrate,
// migrate_send, host.evacuate/disable/enable), ocaml/xapi/xapi_vm_migrate.ml (assert_can_migrate),
// ocaml/xapi/xapi_host.ml (migrate_receive, compute_evacuation_plan_no_wlb, assert_can_evacuate),
// ocaml/xapi/xapi_vm_lifecycle.ml (allowed power states) and ocaml/xapi/xapi_host_helpers.ml (host operations).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, control, login, templateRef, waitTask, xapiError, type Transport } from '../testing/xapi-test-client.js';

const GiB = 1024 ** 3;

describe('migration and maintenance', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let xml: XmlRpc;
  let s: string;
  let h1: string;
  let h2: string;
  let h3: string;
  before(async () => {
    sim = await startSimulator({ hosts: 3 });
    json = new JsonRpc(sim.url);
    xml = new XmlRpc(sim.url);
    s = await login(json);
    [h1, h2, h3] = sim.state.hostRefs as [string, string, string];
  });
  after(() => sim?.close());

  async function vm(name: string, host?: string): Promise<string> {
    const ref = await json.call('VM.clone', s, await templateRef(json, s), name);
    await json.call('VM.provision', s, ref);
    if (host) await json.call('VM.start_on', s, ref, host, false, false);
    return ref;
  }
  const free = (h: string) => json.call('host.compute_free_memory', s, h);

  for (const [wire, t] of [
    ['JSON-RPC', () => json],
    ['XML-RPC', () => xml],
  ] as Array<[string, () => Transport]>) {
    it(`VM.pool_migrate over ${wire}: resident_on, domid and the memory move; the console follows`, async () => {
      const ref = await vm(`mig-${wire}`, h1);
      const filler = await vm(`mig-filler-${wire}`, h2); // domids count per host: the destination's next one is new
      const fillerDomid = Number(await t().call('VM.get_domid', s, filler));
      const [before1, before2] = [Number(await free(h1)), Number(await free(h2))];
      const domid = Number(await t().call('VM.get_domid', s, ref));
      assert.ok((await t().call('VM.get_allowed_operations', s, ref)).includes('pool_migrate'));
      assert.equal(await t().call('VM.pool_migrate', s, ref, h2, {}), '');
      assert.equal(await t().call('VM.get_resident_on', s, ref), h2);
      const newDomid = Number(await t().call('VM.get_domid', s, ref));
      assert.ok(newDomid > fillerDomid && newDomid !== domid, `a new domain on the destination (${domid} -> ${newDomid})`);
      assert.equal(await t().call('VM.get_power_state', s, ref), 'Running');
      const moved = GiB + 0; // memory_dynamic_max + overhead (0)
      assert.deepEqual([Number(await free(h1)) - before1, before2 - Number(await free(h2))], [moved, moved]);
      assert.ok((await t().call('host.get_resident_VMs', s, h2)).includes(ref));
      const [c] = await t().call('VM.get_consoles', s, ref);
      assert.match(await t().call('console.get_location', s, c), /^http:\/\/127\.0\.0\.2:/);
      await json.call('VM.hard_shutdown', s, filler);
    });
  }

  it('Async.VM.pool_migrate is a task; while it runs the VM is busy and the destination holds its memory', async () => {
    const ref = await vm('mig-async', h1);
    await control(sim.url, 'latency', { method: 'VM.pool_migrate', ms: 300 });
    const token = (await json.call('event.from', s, ['vm'], '', 0.1)).token;
    const freeBefore = Number(await free(h2));
    const task = await json.call('Async.VM.pool_migrate', s, ref, h2, {});
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(Object.values(await json.call('VM.get_current_operations', s, ref)), ['pool_migrate']);
    assert.equal(await json.call('VM.get_scheduled_to_be_resident_on', s, ref), h2);
    assert.equal(freeBefore - Number(await free(h2)), GiB, 'reserved on the destination during the migration');
    assert.deepEqual(Object.values(await json.call('host.get_current_operations', s, h2)), ['vm_migrate']);
    const busy = await xapiError(() => json.call('VM.clean_shutdown', s, ref));
    assert.deepEqual(busy.params, ['VM', ref, 'pool_migrate', task]);
    const rec = await waitTask(json, s, task);
    await control(sim.url, 'latency', { method: 'VM.pool_migrate', ms: 0 });
    assert.deepEqual([rec.status, rec.name_label, rec.result], ['success', 'Async.VM.pool_migrate', '<value></value>']);
    assert.deepEqual(await json.call('host.get_current_operations', s, h2), {});
    const batch = await json.call('event.from', s, ['vm'], token, 1.0);
    const mods = batch.events.filter((e: any) => e.ref === ref && e.operation === 'mod');
    assert.equal(mods.at(-1).snapshot.resident_on, h2, 'a VM mod event carries the new resident_on');
  });

  it("refuses with xapi's errors: halted VM, disabled or full destination, bad host", async () => {
    const halted = await vm('mig-halted');
    assert.deepEqual((await xapiError(() => json.call('VM.pool_migrate', s, halted, h2, {}))).params, [halted, 'running', 'halted']);
    assert.equal((await json.call('VM.get_allowed_operations', s, halted)).includes('pool_migrate'), false);
    assert.ok((await json.call('VM.get_allowed_operations', s, halted)).includes('migrate_send'), 'migrate_send: halted, suspended, running');
    const ref = await vm('mig-refused', h1);
    await json.call('host.disable', s, h3);
    assert.deepEqual([(await xapiError(() => json.call('VM.pool_migrate', s, ref, h3, {}))).code], ['HOST_DISABLED']);
    assert.deepEqual((await xapiError(() => json.call('VM.start_on', s, halted, h3, false, false))).params, [h3]);
    await json.call('host.enable', s, h3);
    await json.call('VM.set_memory_limits', s, halted, GiB, 30 * GiB, 30 * GiB, 30 * GiB);
    await json.call('VM.start_on', s, halted, h2, false, false); // h2 now has less than 40 GiB free
    const big = await vm('mig-big');
    await json.call('VM.set_memory_limits', s, big, GiB, 40 * GiB, 40 * GiB, 40 * GiB);
    await json.call('VM.start_on', s, big, h3, false, false);
    const full = await xapiError(() => json.call('VM.pool_migrate', s, big, h2, {}));
    assert.equal(full.code, 'HOST_NOT_ENOUGH_FREE_MEMORY');
    assert.equal(full.params[0], String(40 * GiB));
    assert.equal(await json.call('VM.get_resident_on', s, big), h3, 'a refused migration leaves the VM where it was');
    assert.deepEqual(
      (await xapiError(() => json.call('VM.pool_migrate', s, ref, 'OpaqueRef:00000000-0000-4000-8000-000000000000', {}))).code,
      'HANDLE_INVALID',
    );
    await json.call('VM.hard_shutdown', s, big);
    await json.call('VM.hard_shutdown', s, halted);
  });

  it('a destination that dies mid-migration fails it with VM_MIGRATE_FAILED and the VM stays on its source', async () => {
    const ref = await vm('mig-dies', h1);
    await control(sim.url, 'latency', { method: 'VM.pool_migrate', ms: 200 });
    const task = await json.call('Async.VM.pool_migrate', s, ref, h3, {});
    await new Promise((r) => setTimeout(r, 50));
    await control(sim.url, 'hosts/3/down', {});
    const rec = await waitTask(json, s, task);
    await control(sim.url, 'hosts/3/up', {});
    await control(sim.url, 'latency', { method: 'VM.pool_migrate', ms: 0 });
    assert.deepEqual(rec.error_info.slice(0, 4), ['VM_MIGRATE_FAILED', ref, h1, h3]);
    assert.equal(await json.call('VM.get_resident_on', s, ref), h1);
    assert.equal(await json.call('VM.get_scheduled_to_be_resident_on', s, ref), 'OpaqueRef:NULL');
  });

  it('host.migrate_receive gives the token VM.assert_can_migrate and VM.migrate_send take', async () => {
    const ref = await vm('mig-send', h1);
    const [net] = await json.call('network.get_by_name_label', s, 'Pool-wide network associated with eth0');
    const dest = await json.call('host.migrate_receive', s, h2, net, {});
    assert.deepEqual(Object.keys(dest).sort(), ['SM', 'host', 'master', 'session_id', 'xenops']);
    assert.equal(dest.host, h2);
    assert.equal(dest.xenops, `http://127.0.0.2/services/xenops?session_id=${dest.session_id}`);
    assert.equal(dest.master, 'http://127.0.0.1');
    const [vbd] = await json.call('VM.get_VBDs', s, ref);
    const vdi = await json.call('VBD.get_VDI', s, vbd);
    const sr = await json.call('VDI.get_SR', s, vdi);
    const notMapped = await xapiError(() => json.call('VM.assert_can_migrate', s, ref, dest, true, {}, {}, {}, {}));
    assert.deepEqual([notMapped.code, ...notMapped.params], ['VDI_NOT_IN_MAP', vdi]);
    const [vif] = await json.call('VIF.get_all', s);
    const vifMap = await xapiError(() => json.call('VM.assert_can_migrate', s, ref, dest, true, { [vdi]: sr }, { [vif]: net }, {}, {}));
    assert.deepEqual(
      [vifMap.code, ...vifMap.params],
      ['OPERATION_NOT_ALLOWED', 'VIF mapping is not allowed for intra-pool migration -all VIFs must be on the same network'],
    );
    const foreign = await xapiError(() =>
      json.call(
        'VM.assert_can_migrate',
        s,
        ref,
        { ...dest, host: 'OpaqueRef:00000000-0000-4000-8000-000000000001' },
        true,
        { [vdi]: sr },
        {},
        {},
        {},
      ),
    );
    assert.deepEqual([foreign.code, ...foreign.params], ['CANNOT_CONTACT_HOST', '127.0.0.2']);
    assert.equal(await xml.call('VM.assert_can_migrate', s, ref, dest, true, { [vdi]: sr }, {}, {}, {}), '');
    const task = await json.call('Async.VM.migrate_send', s, ref, dest, true, { [vdi]: sr }, {}, {}, {});
    assert.equal((await waitTask(json, s, task)).status, 'success');
    assert.equal(await json.call('VM.get_resident_on', s, ref), h2);
    const [internal] = await json.call('network.get_by_name_label', s, 'Host internal management network');
    const noHost = await xapiError(() => json.call('host.migrate_receive', s, h2, internal, {}));
    assert.equal(noHost.code, 'HOST_CANNOT_ATTACH_NETWORK');
  });

  it("the evacuation plan names what prevents it; assert_can_evacuate joins it xapi's way; evacuate moves the rest in tasks", async () => {
    const a = await vm('evac-a', h3);
    const b = await vm('evac-b', h3);
    const paused = await vm('evac-paused', h3);
    await json.call('VM.pause', s, paused);
    const prevent = await json.call('host.get_vms_which_prevent_evacuation', s, h3);
    assert.deepEqual(prevent, { [paused]: ['VM_BAD_POWER_STATE', paused, 'running', 'paused'] });
    const cannot = await xapiError(() => xml.call('host.assert_can_evacuate', s, h3));
    assert.deepEqual([cannot.code, ...cannot.params], ['CANNOT_EVACUATE_HOST', `VM_BAD_POWER_STATE,${paused},running,paused`]);
    const refused = await xapiError(() => json.call('host.evacuate', s, h3, 'OpaqueRef:NULL', 0));
    assert.deepEqual([refused.code, ...refused.params], ['VM_BAD_POWER_STATE', paused, 'running', 'paused']);
    await json.call('VM.unpause', s, paused);
    assert.deepEqual(await json.call('host.get_vms_which_prevent_evacuation', s, h3), {});
    assert.equal(await json.call('host.assert_can_evacuate', s, h3), '');
    await json.call('host.disable', s, h3);
    assert.deepEqual(
      (await json.call('host.get_allowed_operations', s, h3)).sort(),
      ['apply_updates', 'enable', 'evacuate', 'provision', 'reboot', 'shutdown', 'vm_migrate', 'vm_resume', 'vm_start'].sort(),
    );
    await control(sim.url, 'latency', { method: 'VM.pool_migrate', ms: 150 });
    const task = await json.call('Async.host.evacuate', s, h3, 'OpaqueRef:NULL', 1);
    const seen = new Set<string>();
    let mostAtOnce = 0;
    for (let status = 'pending'; status === 'pending'; status = await json.call('task.get_status', s, task)) {
      const migrations = Object.entries(await json.call('task.get_all_records', s)).filter(
        ([, t]: [string, any]) => t.name_label === 'Async.VM.pool_migrate' && t.status === 'pending',
      );
      for (const [ref] of migrations) seen.add(ref);
      mostAtOnce = Math.max(mostAtOnce, migrations.length);
      await new Promise((r) => setTimeout(r, 20));
    }
    await control(sim.url, 'latency', { method: 'VM.pool_migrate', ms: 0 });
    const rec = await waitTask(json, s, task, 10_000);
    assert.deepEqual([rec.status, rec.progress], ['success', 1]);
    for (const v of [a, b, paused]) assert.notEqual(await json.call('VM.get_resident_on', s, v), h3);
    const resident = await json.call('host.get_resident_VMs', s, h3);
    assert.equal(resident.length, 1, 'only the control domain is left');
    assert.deepEqual([seen.size, mostAtOnce], [3, 1], 'one Async.VM.pool_migrate task per VM, evacuate_batch_size at a time');
    assert.deepEqual(
      [...seen].filter((ref) => sim.state.store.get('task', ref)),
      [],
      'and destroys them',
    );
    await json.call('host.enable', s, h3);
    assert.equal(await json.call('host.get_enabled', s, h3), true);
    assert.equal((await json.call('host.get_allowed_operations', s, h3)).includes('reboot'), false, 'HOST_NOT_DISABLED');
  });

  it('with every other host disabled the plan is NO_HOSTS_AVAILABLE per VM', async () => {
    const ref = await vm('evac-nowhere', h1);
    await json.call('host.disable', s, h2);
    await json.call('host.disable', s, h3);
    try {
      const prevent = await json.call('host.get_vms_which_prevent_evacuation', s, h1);
      assert.deepEqual(prevent[ref], ['NO_HOSTS_AVAILABLE', ref]);
    } finally {
      await json.call('host.enable', s, h2);
      await json.call('host.enable', s, h3);
    }
  });
});

describe('an older xapi (SIM_API_VERSION)', () => {
  for (const [version, arity] of [
    ['2.15', 1],
    ['2.20', 2],
    ['2.21', 3],
  ] as const) {
    it(`${version} reports its API version and serves host.evacuate with ${arity} parameter(s)`, async () => {
      const sim = await startSimulator({ apiVersion: version, hosts: 2 });
      try {
        const json = new JsonRpc(sim.url);
        const s = await login(json);
        const host = sim.state.masterRef();
        const [major, minor] = [await json.call('host.get_API_version_major', s, host), await json.call('host.get_API_version_minor', s, host)];
        assert.equal(`${major}.${minor}`, version);
        const full = [host, 'OpaqueRef:NULL', 0].slice(0, arity);
        assert.equal(await json.call('host.evacuate', s, ...full), '');
        if (arity === 1) {
          const e = await xapiError(() => json.call('host.evacuate', s, host, 'OpaqueRef:NULL', 0));
          assert.deepEqual([e.code, ...e.params], ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'host.evacuate', String(arity), '3']);
        }
        // gen_server.ml: 2.20's host.evacuate already has a defaulted param (network), and a message with defaults
        // ignores trailing arguments it does not know, so the newest call is taken (its batch size unread)
        if (arity === 2) assert.equal(await json.call('host.evacuate', s, host, 'OpaqueRef:NULL', 0), '');
      } finally {
        await sim.close();
      }
    });
  }
});
