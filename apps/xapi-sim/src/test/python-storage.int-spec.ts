import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSimulator, type Simulator } from '../index.js';

// Same referee as python-client.int-spec.ts: Debian's python3 with os_xenapi; XENAPI_PYTHON overrides.
const python = process.env.XENAPI_PYTHON ?? '/usr/bin/python3';
const script = fileURLToPath(new URL('../../src/test/python/xenapi-storage-check.py', import.meta.url));
const probe = spawnSync(python, ['-c', 'from os_xenapi.client import XenAPI'], { encoding: 'utf8' });
const missing = probe.status === 0 ? undefined : `${python} cannot import os_xenapi.client.XenAPI (apt-get install -y python3-os-xenapi)`;
const skip = missing && process.env.CI !== 'true' ? missing : false;

// ocaml/xapi/xapi_vm_snapshot.ml, import_raw_vdi.ml, export_raw_vdi.ml, as an independent client sees them
describe('the official Python XenAPI module: snapshot, revert, disk import and export', { skip }, () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim?.close());

  it('uploads a disk, snapshots, reverts, downloads what it uploaded, and gets xapi errors', async () => {
    assert.equal(missing, undefined, missing);
    const { stdout } = await promisify(execFile)(python, [script, sim.url], { timeout: 120_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.equal(r.import_status, 200);
    assert.deepEqual(r.import_task, ['success', true]);
    assert.ok(r.physical_utilisation >= 3 * 1024 ** 2 && r.physical_utilisation < 4 * 1024 ** 2, String(r.physical_utilisation));
    assert.deepEqual(r.snapshot, [true, true, true]);
    assert.equal(r.snapshot_of_disk, true, 'the uploaded disk has a VDI snapshot in the VM snapshot');
    assert.equal(r.reverted_vcpus, '1', 'VCPUs came back from the snapshot');
    assert.equal(r.revert_new_disk, true);
    assert.deepEqual(r.export, [200, 4 * 1024 ** 2, true], 'the reverted disk holds what was uploaded before the snapshot');
    assert.equal(r.bad_session, 401);
    assert.deepEqual(r.revert_not_snapshot, ['ONLY_REVERT_SNAPSHOT']);
    assert.deepEqual(r.snapshots_after_destroy, []);
  });
});
