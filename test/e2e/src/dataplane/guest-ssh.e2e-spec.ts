// Issue 15's proof end to end: keypairs, user-data and a hostname through the REST API; the drive the simulator stored
// (read back through /export_raw_vdi) is read by a real cloud-init, and its network equals IPAM's; then, with OVS,
// the guest's namespace runs sshd with the keys and hostname cloud-init took from the drive, and a neighbour on the
// same network logs in with the tenant's key, while another tenant's key is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { cloudInitReads, cloudInitRendersNetwork, cloudInitSchema, extractIso, type CloudInitView } from '@xenplane/config-drive/testing';
import { eventually, sshKeygen, type TestSshKey } from '@xenplane/testing';
import { XapiClient, XapiStorage } from '@xenplane/xapi-driver';
import { client, OPERATOR_TOKEN, operationSettled, startStack, type Stack } from '../stack.js';
import { inGuest, type GuestVm } from './guest.js';
import { ovsSkipReason } from './ovs-prereqs.js';

const exec = promisify(execFile);
const skip = await ovsSkipReason();
const USER_DATA = '#cloud-config\npackages: [nginx]\nwrite_files:\n  - path: /etc/motd\n    content: "hello from user-data"\n';

describe('guest bootstrap: keys, user-data and the config drive, end to end', { skip, timeout: 600_000 }, () => {
  let stack: Stack;
  let xapi: XapiClient;
  let red: ReturnType<typeof client>;
  let keyRed: TestSshKey;
  let keyBlue: TestSshKey;
  let web: GuestVm & { nics: (GuestVm['nics'][number] & { guestIps: string[] })[] };
  let jump: GuestVm;
  let seen: CloudInitView;
  let driveDir: string;
  let sshd: ChildProcess | undefined;
  const work = mkdtempSync(join(tmpdir(), 'xp-guest-ssh-'));

  const settled = operationSettled;

  before(async () => {
    stack = await startStack({ SIM_NETWORK: 'ovs' }, { OVS_CANARY_INTERVAL_MS: '1000' });
    xapi = new XapiClient({ url: stack.sim.url, username: 'root', password: 'xenroot', originator: 'e2e-guest-ssh' });
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const flavorId = (await op('POST', '/v1/flavors', { name: 'tiny', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body.id;
    const imageId = (await op('POST', '/v1/images', { name: 'debian', template: 'Debian Bookworm 12' })).body.id;
    const tenant = async (name: string) => {
      const t = await op('POST', '/v1/tenants', { name });
      return client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
    };
    red = await tenant('red-corp');
    const blue = await tenant('blue-corp');
    [keyRed, keyBlue] = [sshKeygen('ed25519', undefined, 'red@laptop'), sshKeygen('ecdsa', 256, 'blue@desk')];
    const kp = await red('POST', '/v1/keypairs', { name: 'laptop', publicKey: keyRed.pub });
    assert.equal(kp.status, 201);
    assert.equal(kp.body.fingerprint, keyRed.fingerprint);
    assert.equal((await blue('POST', '/v1/keypairs', { name: 'desk', publicKey: keyBlue.pub })).status, 201);
    const net = await red('POST', '/v1/networks', { name: 'lan', cidr: '10.0.0.0/24' });
    assert.equal((await settled(red, net.body.operation.id)).status, 'succeeded');
    const vm = async (body: Record<string, unknown>) => {
      const r = await red('POST', '/v1/vms', { flavorId, imageId, networkIds: [net.body.network.id], ...body });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal((await settled(red, r.body.operation.id)).status, 'succeeded');
      return (await red('GET', `/v1/vms/${r.body.vm.id}`)).body;
    };
    web = await vm({ name: 'web-1', keypairIds: [kp.body.id], userData: USER_DATA, hostname: 'web-1.red.example' });
    jump = await vm({ name: 'jump' });
  });
  after(async () => {
    sshd?.kill('SIGTERM');
    await xapi?.close();
    await stack?.stop();
  });

  /** The VM's drive as the simulator stores it, read back through /export_raw_vdi. */
  const driveOf = async (vm: GuestVm) => {
    const vdis = await xapi.call<Record<string, { other_config: Record<string, string> }>>('VDI.get_all_records');
    const drives = Object.entries(vdis).filter(([, v]) => v.other_config['xenplane-configdrive'] === vm.id);
    assert.equal(drives.length, 1);
    return extractIso(await buffer(await new XapiStorage(xapi).exportVdi(drives[0][0])));
  };

  test('the drive the simulator stored is the VM for a real cloud-init: instance-id, hostname, keys, user-data, IPAM network', async () => {
    const read = await driveOf(web);
    assert.equal(read.label, 'cidata');
    driveDir = read.dir;
    seen = await cloudInitReads(read.dir, 'nocloud');
    assert.equal(seen.instanceId, web.id);
    assert.equal(seen.hostname, 'web-1', 'cloud-init takes the first label of local-hostname as the host name');
    assert.deepEqual(seen.cloudConfig, {
      packages: ['nginx'],
      write_files: [{ path: '/etc/motd', content: 'hello from user-data' }],
      ssh_authorized_keys: [keyRed.pub.trim()],
    });
    const schema = await cloudInitSchema(`#cloud-config\n${JSON.stringify(seen.cloudConfig)}\n`);
    assert.ok(schema.valid, schema.output);
    const nic = web.nics[0];
    assert.deepEqual(await cloudInitRendersNetwork(join(driveDir, 'network-config'), 'yaml'), [
      { name: 'eth0', mac: nic.mac, addresses: [`${nic.ip}/24`], mtu: 1450, gateways: ['10.0.0.1'], dns: [] },
    ]);
    assert.ok(!JSON.stringify(web).includes('hello from user-data'), 'the API never shows the user-data');
  });

  test("the API shows the address the guest reports beside IPAM's", async () => {
    const reported = await eventually(
      'guestIps',
      async () => {
        const nics = (await red('GET', `/v1/vms/${web.id}`)).body.nics as { ip: string; guestIps: string[] }[];
        return nics[0].guestIps.length ? nics[0] : undefined;
      },
      20_000,
    );
    assert.deepEqual(reported.guestIps, [reported.ip]);
  });

  test("sshd in the guest with the drive's keys and hostname: the tenant's key logs in from a neighbour, another tenant's is refused", async () => {
    // The simulated guests took their addresses from xenstore; the MTU (VXLAN's 50 bytes off 1500) is the drives' to give.
    for (const [vm, view] of [
      [web, seen],
      [jump, await cloudInitReads((await driveOf(jump)).dir, 'nocloud')],
    ] as const) {
      const mtu = (view.networkConfig as { ethernets: { eth0: { mtu: number } } }).ethernets.eth0.mtu;
      await inGuest(vm, 'ip', 'link', 'set', 'eth0', 'mtu', String(mtu));
    }
    // What cloud-init's cc_ssh and cc_set_hostname would do with what it read: authorized_keys and the host name.
    const dir = join(work, 'sshd');
    mkdirSync(dir, { recursive: true });
    mkdirSync('/run/sshd', { recursive: true });
    writeFileSync(join(dir, 'authorized_keys'), `${(seen.cloudConfig!.ssh_authorized_keys as string[]).join('\n')}\n`);
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    const config = [
      `ListenAddress ${web.nics[0].ip}`,
      'Port 22',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
    ];
    writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
    // Its own UTS namespace, so the guest's host name is its own.
    sshd = spawn('ip', [
      'netns',
      'exec',
      `xsim-${web.xapiUuid}`,
      'unshare',
      '--uts',
      'sh',
      '-c',
      `hostname "$1" && exec /usr/sbin/sshd -D -e -f "$2"`,
      'sh',
      seen.hostname,
      join(dir, 'sshd_config'),
    ]);
    let sshdLog = '';
    sshd.stderr!.on('data', (c: Buffer) => (sshdLog += c.toString()));
    const keyFile = (k: TestSshKey, name: string) => {
      const f = join(work, name);
      writeFileSync(f, k.privatePem);
      chmodSync(f, 0o600);
      return f;
    };
    const ssh = (key: string) =>
      inGuest(
        jump,
        'ssh',
        '-i',
        key,
        '-o',
        'BatchMode=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'ConnectTimeout=5',
        `root@${web.nics[0].ip}`,
        'hostname',
      );
    const red = keyFile(keyRed, 'red');
    let lastError = '';
    const out = await eventually(
      'ssh with the tenant key',
      () =>
        ssh(red).catch((e: Error) => {
          lastError = `${e.message}\nsshd: ${sshdLog}`;
          return undefined;
        }),
      30_000,
    ).catch(() => assert.fail(lastError));
    assert.equal(out.trim(), 'web-1');
    await assert.rejects(ssh(keyFile(keyBlue, 'blue')), /Permission denied/);
  });
});
