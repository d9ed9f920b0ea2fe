import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growProvisionRootDisk, provisionRootDiskBytes } from './template-disks.js';

// The provision spec as xapi reads it (ocaml/xapi/xapi_templates.ml): <disk device size sr bootable type/>, bytes.
test('the boot disk of a provision spec: device 0, else the first bootable disk', () => {
  const one = '<provision><disk device="0" size="10737418240" sr="" bootable="true" type="system"/></provision>';
  assert.equal(provisionRootDiskBytes(one), 10 * 1024 ** 3);
  const two =
    '<provision><disk device="1" size="1024" sr="" bootable="false" type="system"/><disk device="0" size="2048" sr="" bootable="false" type="system"/></provision>';
  assert.equal(provisionRootDiskBytes(two), 2048);
  const bootable = '<provision><disk device="2" size="1024" bootable="false"/><disk device="3" size="4096" bootable="true"/></provision>';
  assert.equal(provisionRootDiskBytes(bootable), 4096);
});

test('no disks, a nonsense size or broken XML give no size rather than a wrong one', () => {
  assert.equal(provisionRootDiskBytes('<provision></provision>'), null);
  assert.equal(provisionRootDiskBytes('<provision><disk device="0" size="big"/></provision>'), null);
  assert.equal(provisionRootDiskBytes('<provision><disk device="0"'), null);
  assert.equal(provisionRootDiskBytes(''), null);
});

// VM.provision reads the spec from the VM's own other_config (xapi_templates.ml), so a clone's copy may be grown first.
test('growing a provision spec: the boot disk to at least the size, every other disk and attribute kept, never shrunk', () => {
  const two =
    '<provision><disk device="0" size="1024" sr="" bootable="true" type="system"/><disk device="1" size="512" sr="abc" bootable="false" type="user"/></provision>';
  const grown = growProvisionRootDisk(two, 4096)!;
  assert.equal(provisionRootDiskBytes(grown), 4096);
  assert.match(grown, /<disk device="1" size="512" sr="abc" bootable="false" type="user"\/>/);
  assert.match(grown, /<disk device="0" size="4096" sr="" bootable="true" type="system"\/>/);
  assert.equal(provisionRootDiskBytes(growProvisionRootDisk(two, 10)!), 1024, 'a larger template disk stays as it is');
  assert.equal(growProvisionRootDisk('<provision></provision>', 4096), null);
  assert.equal(growProvisionRootDisk('<provision><disk device="0"', 4096), null);
});
