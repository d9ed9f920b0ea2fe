// The simulator keeps its pool in SIM_DATA_DIR and comes back with it after a restart, a SIGKILL included, as a
// real pool keeps its database (xapi persists every class but those ocaml/idl/datamodel.ml marks PersistNothing:
// sessions and tasks do not survive, so clients log in again).
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultDataDir } from '../config/sim-env.js';
import { startSimulator } from '../index.js';
import { httpRequest } from '../testing/http-request.js';
import { spawnSim, type SimChild } from '../testing/sim-process.js';
import { JsonRpc, control, login, newVm, xapiError } from '../testing/xapi-test-client.js';

// Every change made so far is on disk (GET /sim/state reports the generation written).
async function settled(url: string): Promise<void> {
  for (;;) {
    const { body } = await control(url, 'state');
    if (body.persistence.generation >= body.generation) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('persistence: the pool survives restarts of the simulator process', () => {
  let dir: string;
  let sim: SimChild | undefined;
  const start = async (env: Record<string, string> = {}, port = '0') =>
    (sim = await spawnSim({ SIM_HOSTS: '3', SIM_DATA_DIR: dir, SIM_PORT: port, ...env }));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'xapi-sim-persist-'));
  });
  after(async () => {
    await sim?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('comes back after SIGKILL with the same pool, hosts, VMs (still running), disks, networks and VIFs', async () => {
    const first = await start();
    const port = new URL(first.url).port;
    let t = new JsonRpc(first.url);
    let s = await login(t);
    const [pool] = await t.call('pool.get_all', s);
    const poolUuid = await t.call('pool.get_uuid', s, pool);
    const hosts = await t.call('host.get_all_records', s);
    const net = await t.call('network.create', s, {
      name_label: 'tenant-net',
      name_description: '',
      MTU: 1450,
      other_config: { 'xenplane:vni': '42' },
    });
    const vm = await newVm(t, s, 'survivor');
    const vif = await t.call('VIF.create', s, {
      device: '0',
      network: net,
      VM: vm,
      MAC: '',
      MTU: 0,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    });
    await t.call('VM.start', s, vm, false, false);
    const halted = await newVm(t, s, 'sleeper');
    await t.call('VM.destroy', s, await newVm(t, s, 'gone'));
    const before = await t.call('VM.get_record', s, vm);
    await settled(first.url);
    await first.stop('SIGKILL');

    const second = await start({}, port);
    t = new JsonRpc(second.url);
    assert.equal((await xapiError(() => t.call('VM.get_record', s, vm))).code, 'SESSION_INVALID', 'sessions are not kept (PersistNothing)');
    s = await login(t);
    assert.equal(await t.call('pool.get_uuid', s, pool), poolUuid);
    assert.deepEqual(Object.keys(await t.call('host.get_all_records', s)).sort(), Object.keys(hosts).sort());
    const after = await t.call('VM.get_record', s, vm);
    assert.deepEqual(
      [after.uuid, after.power_state, after.resident_on, after.domid, after.VIFs, after.VBDs],
      [before.uuid, 'Running', before.resident_on, before.domid, [vif], before.VBDs],
    );
    assert.equal(await t.call('VM.get_power_state', s, halted), 'Halted');
    assert.deepEqual(await t.call('VM.get_by_name_label', s, 'gone'), []);
    assert.deepEqual(await t.call('network.get_other_config', s, net), { 'xenplane:vni': '42' });
    assert.deepEqual(await t.call('network.get_VIFs', s, net), [vif]);
    assert.equal(await t.call('VIF.get_currently_attached', s, vif), true);
    const vdi = await t.call('VBD.get_VDI', s, before.VBDs[0]);
    assert.equal(await t.call('VDI.get_virtual_size', s, vdi), 10 * 1024 ** 3);
    assert.deepEqual(await t.call('VM.get_current_operations', s, vm), {});
    // the pool goes on as before: the next domain number follows the last one
    await t.call('VM.clean_reboot', s, vm);
    assert.ok(Number(await t.call('VM.get_domid', s, vm)) > Number(before.domid));
  });

  it('tolerates a journal torn by a SIGKILL mid-write, and restarts cleanly after SIGTERM', async () => {
    const port = new URL(sim!.url).port;
    let t = new JsonRpc(sim!.url);
    let s = await login(t);
    const net = await t.call('network.create', s, { name_label: 'late', name_description: '', MTU: 1500, other_config: {} });
    await settled(sim!.url);
    await sim!.stop('SIGKILL');
    appendFileSync(join(dir, 'pool.journal'), '{"u":["VM","OpaqueRef:torn",1,1,{"name_la');
    await start({}, port);
    t = new JsonRpc(sim!.url);
    s = await login(t);
    assert.equal(await t.call('network.get_name_label', s, net), 'late');
    await sim!.stop('SIGTERM');
    await start({}, port);
    s = await login((t = new JsonRpc(sim!.url)));
    assert.equal(await t.call('network.get_name_label', s, net), 'late');
  });

  it('starts from a new pool with SIM_RESET=1 or POST /sim/reset, and keeps the new one', async () => {
    const port = new URL(sim!.url).port;
    let t = new JsonRpc(sim!.url);
    let s = await login(t);
    const uuidOf = async () => t.call('pool.get_uuid', s, (await t.call('pool.get_all', s))[0]);
    const old = await uuidOf();
    const reset = await control(sim!.url, 'reset', {});
    assert.equal(reset.status, 200);
    s = await login(t);
    const fresh = await uuidOf();
    assert.notEqual(fresh, old);
    assert.deepEqual(await t.call('network.get_by_name_label', s, 'late'), []);
    await sim!.stop('SIGKILL');
    await start({}, port);
    s = await login((t = new JsonRpc(sim!.url)));
    assert.equal(await uuidOf(), fresh);
    await sim!.stop('SIGKILL');
    await start({ SIM_RESET: '1' }, port);
    s = await login((t = new JsonRpc(sim!.url)));
    assert.notEqual(await uuidOf(), fresh);
  });

  // Disk contents live beside the pool (<SIM_DATA_DIR>/vdis): a kill keeps them, a reset takes them and the next
  // upload still lands (the directory comes back).
  it('keeps disk contents across a SIGKILL; POST /sim/reset removes them and uploads work after it', async () => {
    const port = new URL(sim!.url).port;
    let t = new JsonRpc(sim!.url);
    let s = await login(t);
    const disk = async () => {
      const [sr] = await t.call('SR.get_by_name_label', s, 'NFS storage');
      return t.call('VDI.create', s, {
        name_label: 'kept',
        SR: sr,
        virtual_size: 1024 ** 2,
        type: 'user',
        sharable: false,
        read_only: false,
        other_config: {},
      });
    };
    const content = Buffer.alloc(64 * 1024, 0xa5);
    const put = (vdi: string) => httpRequest(`${sim!.url}/import_raw_vdi?session_id=${s}&vdi=${vdi}`, 'PUT', content);
    const get = async (vdi: string) =>
      (await httpRequest(`${sim!.url}/export_raw_vdi?session_id=${s}&vdi=${vdi}`, 'GET')).body.subarray(0, content.length);
    const vdi = await disk();
    assert.equal((await put(vdi)).status, 200);
    const uuid = await t.call('VDI.get_uuid', s, vdi);
    await settled(sim!.url);
    await sim!.stop('SIGKILL');
    await start({}, port);
    s = await login((t = new JsonRpc(sim!.url)));
    assert.deepEqual(await get(vdi), content, 'what was imported reads back after the restart');
    assert.equal((await control(sim!.url, 'reset', {})).status, 200);
    assert.equal(existsSync(join(dir, 'vdis', uuid)), false, "the reset removed the old pool's disk contents");
    s = await login(t);
    const next = await disk();
    assert.equal((await put(next)).status, 200);
    assert.deepEqual(await get(next), content);
  });

  // The repository's data folder may hold a developer's pool (npm start): it must come out of this untouched.
  it('writes nothing when started in-process without a data dir (tests stay isolated)', async () => {
    const cwdFiles = readdirSync(process.cwd());
    const kept = join(defaultDataDir, 'pool.json');
    const before = existsSync(kept) ? statSync(kept).mtimeMs : undefined;
    const inProcess = await startSimulator();
    try {
      assert.equal(inProcess.state.persistence, undefined);
      await newVm(new JsonRpc(inProcess.url), await login(new JsonRpc(inProcess.url)), 'not-kept');
      await new Promise((r) => setTimeout(r, 100)); // past a persistence batch (50 ms), were there one
      assert.deepEqual(readdirSync(process.cwd()), cwdFiles);
      assert.equal(existsSync(kept) ? statSync(kept).mtimeMs : undefined, before, "the default data folder's pool is not touched");
    } finally {
      await inProcess.close();
    }
  });
});
