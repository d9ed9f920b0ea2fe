// The drive builder against the real referees: xorriso reads the image back, Debian's cloud-init reads its files
// (datasource, part handlers, schema, network renderer) and must see what IPAM holds, the keys and the user-data.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildIsoImage, configDriveContent, contentDigest, type DriveNic, type DriveSpec } from './index.js';
import { cloudInitReads, cloudInitRendersNetwork, cloudInitSchema, extractIso } from './testing/index.js';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO8S6BULLDKt+Z2DImlJduxYFRtXzKt8NhOOr0AWMOGO alice@laptop';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bob@desk';
const NICS: DriveNic[] = [
  { device: 0, mac: '02:16:3E:00:00:0A', ip: '10.0.0.5', prefix: 24, mtu: 1450, gateway: '10.0.0.1', dns: ['10.0.0.1'], networkId: 'net-a' },
  { device: 1, mac: '02:16:3e:00:00:0b', ip: '192.168.8.9', prefix: 29, mtu: 1450, gateway: null, dns: [], networkId: 'net-b' },
];
const spec = (over: Partial<DriveSpec> = {}): DriveSpec => ({
  instanceId: '6f2c5a1e-8d0b-4a57-9c1e-3b2f1d0a9e77',
  hostname: 'web-1',
  sshKeys: [KEY_A, KEY_B],
  userData: null,
  nics: NICS,
  layout: 'nocloud',
  ...over,
});
const MACS = { '02:16:3e:00:00:0a': 'eth0', '02:16:3e:00:00:0b': 'eth1' };
const IPAM_RENDERED = [
  { name: 'eth0', mac: '02:16:3e:00:00:0a', addresses: ['10.0.0.5/24'], mtu: 1450, gateways: ['10.0.0.1'], dns: ['10.0.0.1'] },
  { name: 'eth1', mac: '02:16:3e:00:00:0b', addresses: ['192.168.8.9/29'], mtu: 1450, gateways: [], dns: [] },
];

async function drive(s: DriveSpec) {
  const { image, size } = await buildIsoImage(configDriveContent(s));
  assert.ok(size % (1024 * 1024) === 0 && size >= image.length, 'its VDI size: the image rounded up to whole MiB');
  return extractIso(image);
}

describe('NoCloud drive (label cidata)', () => {
  test('cloud-init reads instance-id, hostname, the network IPAM holds, and the keys as ssh_authorized_keys', async () => {
    const d = await drive(spec());
    assert.equal(d.label, 'cidata');
    assert.deepEqual(Object.keys(d.files).sort(), ['meta-data', 'network-config', 'user-data']);
    const seen = await cloudInitReads(d.dir, 'nocloud');
    assert.equal(seen.instanceId, spec().instanceId);
    assert.equal(seen.hostname, 'web-1');
    assert.deepEqual(seen.cloudConfig, { ssh_authorized_keys: [KEY_A, KEY_B] });
    const schema = await cloudInitSchema(d.files['user-data']);
    assert.ok(schema.valid, schema.output);
    assert.deepEqual(await cloudInitRendersNetwork(join(d.dir, 'network-config'), 'yaml'), IPAM_RENDERED);
  });

  test("a tenant cloud-config keeps its own keys and settings; ours are appended, and the merge passes cloud-init's schema", async () => {
    const userData = '#cloud-config\nssh_authorized_keys:\n  - ssh-rsa AAAAB3Nza tenant@own\npackages: [nginx]\nhostname: custom\n';
    const d = await drive(spec({ userData }));
    const seen = await cloudInitReads(d.dir, 'nocloud');
    assert.deepEqual(seen.parts, ['text/cloud-config', 'text/cloud-config']);
    assert.deepEqual(seen.cloudConfig, {
      ssh_authorized_keys: ['ssh-rsa AAAAB3Nza tenant@own', KEY_A, KEY_B],
      packages: ['nginx'],
      hostname: 'custom',
    });
    const merged = `#cloud-config\n${JSON.stringify(seen.cloudConfig)}\n`;
    const schema = await cloudInitSchema(merged);
    assert.ok(schema.valid, schema.output);
  });

  test('a script stays a script (byte for byte) beside the keys; a tenant multipart is kept whole', async () => {
    const script = '#!/bin/sh\n# --==xenplane boundary look-alike==\nprintf "héllo\\n" > /tmp/x\n';
    const seen = await cloudInitReads((await drive(spec({ userData: script }))).dir, 'nocloud');
    assert.deepEqual(seen.parts, ['text/x-shellscript', 'text/cloud-config']);
    assert.deepEqual(seen.cloudConfig, { ssh_authorized_keys: [KEY_A, KEY_B] });

    const mime = [
      'Content-Type: multipart/mixed; boundary="XYZ"',
      'MIME-Version: 1.0',
      '',
      '--XYZ',
      'Content-Type: text/cloud-config',
      '',
      '#cloud-config',
      'runcmd: [[touch, /tmp/ok]]',
      '--XYZ',
      'Content-Type: text/x-shellscript',
      '',
      '#!/bin/sh',
      'true',
      '--XYZ--',
      '',
    ].join('\n');
    const nested = await cloudInitReads((await drive(spec({ userData: mime }))).dir, 'nocloud');
    assert.deepEqual(nested.parts, ['text/cloud-config', 'text/x-shellscript', 'text/cloud-config']);
    assert.deepEqual(nested.cloudConfig, { runcmd: [['touch', '/tmp/ok']], ssh_authorized_keys: [KEY_A, KEY_B] });
  });

  test("without keys the user-data is exactly the tenant's; the digest changes with the content only", async () => {
    const userData = '#!/bin/bash\necho only\n';
    const d = await drive(spec({ sshKeys: [], userData }));
    assert.equal(d.files['user-data'], userData);
    assert.equal(contentDigest(configDriveContent(spec())), contentDigest(configDriveContent(spec())));
    const moved = { ...NICS[0], ip: '10.0.0.6' };
    assert.notEqual(contentDigest(configDriveContent(spec({ nics: [moved, NICS[1]] }))), contentDigest(configDriveContent(spec())));
  });
});

describe('OpenStack config-2 drive (for cloudbase-init guests)', () => {
  test("cloud-init's ConfigDrive reads uuid, hostname, public keys, user_data and the same network", async () => {
    const d = await drive(spec({ layout: 'config-2', userData: '#ps1_sysnative\nWrite-Host hi\n' }));
    assert.equal(d.label, 'config-2');
    assert.deepEqual(Object.keys(d.files).sort(), [
      'openstack/latest/meta_data.json',
      'openstack/latest/network_data.json',
      'openstack/latest/user_data',
    ]);
    const seen = await cloudInitReads(d.dir, 'config-2', MACS);
    assert.equal(seen.instanceId, spec().instanceId);
    assert.equal(seen.hostname, 'web-1');
    assert.deepEqual(seen.publicKeys.sort(), [KEY_A, KEY_B].sort());
    assert.equal(d.files['openstack/latest/user_data'], '#ps1_sysnative\nWrite-Host hi\n');
    const rendered = await cloudInitRendersNetwork(join(d.dir, 'openstack/latest/network_data.json'), 'network_data.json', MACS);
    assert.deepEqual(
      rendered.map(({ name, mac, addresses, mtu, gateways }) => ({ name, mac, addresses, mtu, gateways })),
      IPAM_RENDERED.map(({ name, mac, addresses, mtu, gateways }) => ({ name, mac, addresses, mtu, gateways })),
    );
  });
});
