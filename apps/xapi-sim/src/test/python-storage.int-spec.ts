import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { pythonMissing as missing, pythonSkip as skip, runPythonCheck } from '../testing/python-xenapi.js';

// ocaml/xapi/xapi_vm_snapshot.ml, import_raw_vdi.ml, export_raw_vdi.ml, as an independent client sees them
describe('the official Python XenAPI module: snapshot, revert, disk import and export', { skip }, () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim?.close());

  it('uploads a disk, snapshots, reverts, downloads what it uploaded, and gets xapi errors', async () => {
    assert.equal(missing, undefined, missing);
    const r = await runPythonCheck('xenapi-storage-check.py', [sim.url], 120_000);
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
