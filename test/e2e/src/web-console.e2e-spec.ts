// The web console (issue 19) in a real browser against the real processes: login by key exchange, a VM created and
// seen running through the event stream (no list request while its status moves), its console drawn by noVNC, a quota
// refusal explained, a network made and deleted from its view, an operator setting a quota and reading hosts; the
// fallback polls once the stream is refused. axe-core checks each screen. Screenshots land in test/e2e/artifacts/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { eventually, simLatency } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';
import { launchChromium, litPixels, screenshot, seriousViolations } from './web/browser.js';

let stack: Stack;
let browser: Browser;
let tenantId: string;
let tenantKey: string;

before(async () => {
  stack = await startStack();
  const op = client(stack.api.url, OPERATOR_TOKEN);
  assert.equal((await op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).status, 201);
  assert.equal((await op('POST', '/v1/images', { name: 'debian-12', template: 'Debian Bookworm 12' })).status, 201);
  tenantId = (await op('POST', '/v1/tenants', { name: 'web' })).body.id;
  tenantKey = (await op('POST', `/v1/tenants/${tenantId}/api-keys`, { name: 'alice', role: 'admin' })).body.token;
  const limits = (await op('GET', `/v1/tenants/${tenantId}/quota`)).body.limits;
  assert.equal((await op('PUT', `/v1/tenants/${tenantId}/quota`, { ...limits, vms: 1 })).status, 200);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function logIn(page: Page, key: string): Promise<void> {
  await page.goto(`${stack.api.url}/ui/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

async function noSeriousViolations(page: Page, screen: string): Promise<void> {
  const found = await seriousViolations(page);
  assert.deepEqual(
    found.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `axe on ${screen}`,
  );
}

/** Opens a view from the navigation and waits until it is the one shown: the hash change renders it a moment after the
 * click, and a field filled before that would be the previous view's (a create then refused by the browser, unseen). */
async function openView(page: Page, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'views' }).getByRole('link', { name: title, exact: true }).click();
  await page.locator('main > h2', { hasText: new RegExp(`^${title}$`) }).waitFor();
}

/** Waits for `locator` (visible, or detached); on a timeout keeps a screenshot and says what the page showed instead. */
async function shown(page: Page, locator: Locator, what: string, state: 'visible' | 'detached' = 'visible', timeout = 30_000): Promise<void> {
  await locator.waitFor({ state, timeout }).catch(async (err: unknown) => {
    await screenshot(page, `${what.replace(/\W+/g, '-')}-failed`);
    throw new Error(`${what}: ${String(err)}\n${await page.locator('main').innerText()}`);
  });
}

describe('web console', () => {
  test('a tenant logs in, creates a VM, sees it running, opens its console and is told why a second VM is refused', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    await logIn(page, tenantKey);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'xenplane_session');
    assert.ok(session?.httpOnly, 'the session cookie is httpOnly');
    assert.equal(session.sameSite, 'Strict');
    const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie');
    assert.ok(!stored.includes(tenantKey), 'the key is kept nowhere in the browser');
    assert.ok(!stored.includes(session.value), 'page scripts cannot read the session');

    await page.getByRole('status', { name: 'updates' }).filter({ hasText: 'Live' }).waitFor();
    // Every read of the VM or operation list from now on (the form's choices are read once): the status must move without one.
    const listReads: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === 'GET' && /^\/v1\/(vms|operations)$/.test(path)) listReads.push(path);
    });
    // A clone that takes a while, as on a real pool: the row must show the VM before it runs, then follow it.
    await simLatency(stack.sim, 'VM.clone', 1500);
    await page.getByLabel('Name').fill('web-1');
    await page.getByRole('button', { name: 'Create' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'web-1 is being created' })
      .waitFor({ timeout: 10_000 })
      .catch(async (err: unknown) => {
        await screenshot(page, 'create-failed');
        throw new Error(`${String(err)}\n${await page.locator('main').innerText()}\n${logs.join('\n')}`);
      });
    const row = page.locator('table[aria-label="VMs"] tr', { hasText: 'web-1' });
    await row.waitFor();
    const seen = new Set<string>();
    const status = row.locator('td[data-col="status"]');
    // live status: each change the event stream carries lands in the row, until the worker has started the VM
    await eventually(
      'web-1 running on screen',
      async () => {
        seen.add((await status.textContent()) ?? '');
        return seen.has('running') ? true : undefined;
      },
      60_000,
      20,
    );
    await simLatency(stack.sim, 'VM.clone', 0);
    assert.ok(seen.size >= 2, `the status moved on screen (${[...seen].join(' → ')})`);
    assert.deepEqual(listReads, [], 'no list was read again: the new row and each change came by the event stream');
    await screenshot(page, 'vms-running');
    await noSeriousViolations(page, 'the VM list');

    await row.getByRole('link', { name: 'console' }).click();
    await page.getByRole('status').filter({ hasText: 'connected' }).waitFor({ timeout: 30_000 });
    const lit = await eventually('a drawn framebuffer', async () => {
      const n = await litPixels(page, '#console-screen');
      return n > 1000 ? n : undefined;
    });
    assert.ok(lit > 1000, `${lit} pixels drawn`);
    await screenshot(page, 'vm-console');
    await noSeriousViolations(page, 'the console');

    await page.getByRole('link', { name: 'Back to VMs' }).click();
    await page.getByLabel('Name').fill('web-2');
    await page.getByRole('button', { name: 'Create' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'quota_exceeded' });
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? '', /quota_exceeded: .*vms/i, 'the refusal names its code and what ran out');
    await screenshot(page, 'quota-refused');

    await openView(page, 'Networks');
    await page.getByLabel('Name').fill('back');
    await page.getByLabel('CIDR').fill('10.9.0.0/24');
    await page.getByRole('button', { name: 'Create network' }).click();
    const net = page.locator('table[aria-label="networks"] tr', { hasText: 'back' });
    await shown(page, net.locator('td[data-col="status"]', { hasText: 'active' }), 'network active');
    await noSeriousViolations(page, 'the networks view');
    await screenshot(page, 'network-active');
    await net.getByRole('button', { name: 'delete back' }).click();
    await net.waitFor({ state: 'detached', timeout: 30_000 }).catch(async (err: unknown) => {
      await screenshot(page, 'network-delete-failed');
      throw new Error(`${String(err)}\n${await page.locator('main').innerText()}`);
    });

    await openView(page, 'Quota');
    await page.getByText('vms: 1 / 1').waitFor();
    await noSeriousViolations(page, 'the quota gauges');
    await screenshot(page, 'quota-gauges');

    // The stream refused (as a 429 would be): the console says so and the views fall back to polling.
    await page.route('**/v1/events**', (r) =>
      r.fulfill({ status: 429, contentType: 'application/problem+json', body: '{"code":"stream_limit_reached"}' }),
    );
    await page.reload();
    await page.getByRole('status', { name: 'updates' }).filter({ hasText: 'Polling' }).waitFor({ timeout: 20_000 });
    await openView(page, 'VMs');
    await row.locator('td[data-col="status"]', { hasText: 'running' }).waitFor();
    await page.unroute('**/v1/events**');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API key').waitFor();
    const me = await page.evaluate<number>("fetch('/v1/sessions/current').then((r) => r.status)");
    assert.equal(me, 401, 'the session ended with the logout');
    await context.close();
  });

  test('an operator sets a tenant quota', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await logIn(page, OPERATOR_TOKEN);
    await page.getByRole('link', { name: 'quota of web' }).click();
    await page.getByLabel('vms', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Save quota' }).click();
    await page.getByRole('status').filter({ hasText: 'Quota saved' }).waitFor();
    await screenshot(page, 'operator-quota');
    await noSeriousViolations(page, "the operator's quota form");
    const quota = await client(stack.api.url, OPERATOR_TOKEN)('GET', `/v1/tenants/${tenantId}/quota`);
    assert.equal(quota.body.limits.vms, 3);
    // The tenant's page lists its VMs with ?tenantId= (an operator's list of a tenant's resources).
    const tenantVm = page.locator('table[aria-label="tenant VMs"] tr', { hasText: 'web-1' });
    await tenantVm.waitFor();
    // Its host by name, as the hosts view lists it.
    const [vm] = (await client(stack.api.url, OPERATOR_TOKEN)('GET', `/v1/vms?tenantId=${tenantId}&name=web-1`)).body.items;
    const hosts = (await client(stack.api.url, OPERATOR_TOKEN)('GET', '/v1/hosts')).body.items as { id: string; name: string }[];
    const host = hosts.find((h) => h.id === vm.hostId);
    assert.ok(host, `web-1 runs on a listed host (${String(vm.hostId)})`);
    await tenantVm.locator('td[data-col="hostId"]', { hasText: new RegExp(`^${host.name}$`) }).waitFor();
    await openView(page, 'Hosts');
    await page.locator('table[aria-label="Hosts"] meter').first().waitFor();
    // Each host names its pool as a person knows it, not by id.
    const pools = (await client(stack.api.url, OPERATOR_TOKEN)('GET', '/v1/pools')).body.items as { id: string; name: string }[];
    const poolCells = page.locator('table[aria-label="Hosts"] td[data-col="poolId"]');
    await poolCells.first().filter({ hasText: pools[0].name }).waitFor();
    assert.deepEqual([...new Set(await poolCells.allTextContents())], [...new Set(pools.map((p) => p.name))]);
    await noSeriousViolations(page, 'the hosts view');
    await screenshot(page, 'operator-hosts');
    await context.close();
  });

  test('a tenant adds a keypair, a security group and its rule, and a volume attached, snapshotted and deleted, all in the page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const me = client(stack.api.url, tenantKey);
    await logIn(page, tenantKey);

    // A real key, and its fingerprint as ssh-keygen prints it.
    const dir = mkdtempSync(join(tmpdir(), 'web-kp-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', join(dir, 'id')]);
    const publicKey = readFileSync(join(dir, 'id.pub'), 'utf8').trim();
    const fingerprint = execFileSync('ssh-keygen', ['-lf', join(dir, 'id.pub')], { encoding: 'utf8' }).split(' ')[1];
    rmSync(dir, { recursive: true });
    await openView(page, 'Keypairs');
    await shown(page, page.getByText('No keypairs yet.'), 'the empty state');
    // A mangled paste is refused with the problem's code and the field it is about, and the form keeps what was typed.
    await page.getByLabel('Name', { exact: true }).fill('laptop');
    await page.getByLabel('Public key').fill(publicKey.slice(0, 40));
    await page.getByRole('button', { name: 'Add keypair' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'validation_failed' });
    await shown(page, refusal, 'bad key refused');
    assert.match((await refusal.textContent()) ?? '', /^validation_failed: .*\(publicKey: [^{}]+\)$/);
    await page.getByLabel('Public key').fill(publicKey);
    await page.getByRole('button', { name: 'Add keypair' }).click();
    await shown(page, page.getByRole('status').filter({ hasText: 'keypair laptop added' }), 'keypair added');
    const kp = page.locator('table[aria-label="keypairs"] tr', { hasText: 'laptop' });
    assert.equal(await kp.locator('td[data-col="fingerprint"]').textContent(), fingerprint, 'the fingerprint ssh-keygen -lf prints');
    const keypairs = (await me('GET', '/v1/keypairs')).body.items as { name: string; fingerprint: string }[];
    assert.deepEqual(
      keypairs.map((k) => [k.name, k.fingerprint]),
      [['laptop', fingerprint]],
    );
    await noSeriousViolations(page, 'the keypairs view');
    await screenshot(page, 'keypair-added');

    await openView(page, 'Security groups');
    await page.getByLabel('Name', { exact: true }).fill('ssh-only');
    await page.getByLabel('Description').fill('ssh from anywhere');
    await page.getByRole('button', { name: 'Create group' }).click();
    await shown(page, page.getByRole('link', { name: 'rules of ssh-only' }), 'group listed');
    await page.getByRole('link', { name: 'rules of ssh-only' }).click();
    await shown(page, page.getByRole('heading', { name: 'Rules of ssh-only' }), 'the group named');
    await page.getByLabel('Direction').selectOption('ingress');
    await page.getByLabel('Protocol').selectOption('tcp');
    await page.getByLabel('From port').fill('22');
    await page.getByLabel('To port').fill('22');
    await page.getByLabel('Peer CIDR').fill('0.0.0.0/0');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.locator('table[aria-label="rules"] tbody tr');
    await shown(page, rule.locator('td[data-col="portMin"]', { hasText: '22' }), 'rule shown');
    const [group] = (await me('GET', '/v1/security-groups?name=ssh-only')).body.items;
    const rules = (await me('GET', `/v1/security-groups/${group.id}/rules`)).body;
    assert.deepEqual(
      rules.map((r: Record<string, unknown>) => [r.direction, r.protocol, r.portMin, r.portMax, r.remoteCidr]),
      [['ingress', 'tcp', 22, 22, '0.0.0.0/0']],
    );
    await noSeriousViolations(page, "a security group's rules");
    await screenshot(page, 'security-group-rule');
    await rule.getByRole('button', { name: /^delete rule / }).click();
    await shown(page, rule, 'rule deleted', 'detached');
    assert.deepEqual((await me('GET', `/v1/security-groups/${group.id}/rules`)).body, []);
    await page.getByRole('link', { name: 'All security groups' }).click();
    await page.getByRole('button', { name: 'delete ssh-only' }).click();
    await shown(page, page.locator('table[aria-label="security groups"] tr', { hasText: 'ssh-only' }), 'group deleted', 'detached');
    assert.equal((await me('GET', `/v1/security-groups/${group.id}`)).status, 404);

    await openView(page, 'Volumes');
    await page.getByLabel('Name', { exact: true }).fill('data');
    await page.getByLabel('Size (GiB)').fill('1');
    await page.getByRole('button', { name: 'Create volume' }).click();
    const vol = page.locator('table[aria-label="volumes"] tr', { hasText: 'data' });
    await shown(page, vol.locator('td[data-col="status"]', { hasText: 'available' }), 'volume available');
    await page.getByLabel('VM for data').selectOption({ label: 'web-1' });
    await vol.getByRole('button', { name: 'attach data' }).click();
    await shown(page, vol.locator('td[data-col="status"]', { hasText: 'in-use' }), 'volume attached');
    // The VM it is attached to, by name (the row is read again just after its status moves).
    await shown(page, vol.locator('td[data-col="vmId"]', { hasText: /^web-1$/ }), 'attached to web-1');
    const [volume] = (await me('GET', '/v1/volumes?name=data')).body.items;
    const [vm] = (await me('GET', '/v1/vms?name=web-1')).body.items;
    assert.deepEqual([volume.status, volume.vmId], ['in-use', vm.id]);
    // What the API would refuse of an attached volume is not offered (delete: 409 invalid_state until detached).
    assert.deepEqual(
      [await vol.getByRole('button', { name: 'delete data' }).isDisabled(), await vol.getByRole('button', { name: 'detach data' }).isEnabled()],
      [true, true],
    );
    await noSeriousViolations(page, 'the volumes view');
    await screenshot(page, 'volume-attached');
    await vol.getByRole('button', { name: 'snapshot data' }).click();
    await shown(page, vol.getByRole('status').filter({ hasText: 'snapshot: sent for data' }), 'snapshot sent');

    await openView(page, 'Snapshots');
    const snap = page.locator('table[aria-label="snapshots"] tbody tr', { hasText: 'data-' });
    await shown(page, snap.locator('td[data-col="status"]', { hasText: 'available' }), 'snapshot available');
    await shown(page, snap.locator('td[data-col="of"]', { hasText: /^data$/ }), 'the volume it is of, by name');
    const snapshots = (await me('GET', '/v1/snapshots')).body.items as { id: string; volumeId: string; status: string }[];
    assert.deepEqual(
      snapshots.map((x) => [x.volumeId, x.status]),
      [[volume.id, 'available']],
    );
    assert.ok(await snap.getByRole('button', { name: /^revert data-/ }).isDisabled(), "a volume's snapshot is not reverted");
    await noSeriousViolations(page, 'the snapshots view');
    await screenshot(page, 'volume-snapshot');
    await snap.getByRole('button', { name: /^delete data-/ }).click();
    await shown(page, snap, 'snapshot deleted', 'detached');
    assert.notEqual((await me('GET', `/v1/snapshots/${snapshots[0].id}`)).body.status, 'available');

    await openView(page, 'Volumes');
    await vol.getByRole('button', { name: 'detach data' }).click();
    await shown(page, vol.locator('td[data-col="status"]', { hasText: 'available' }), 'volume detached');
    await shown(page, vol.locator('td[data-col="vmId"]', { hasText: /^—$/ }), 'attached to nothing');
    // Deleting a volume loses its data: the page asks first, and a "no" sends nothing.
    const asked: string[] = [];
    let answer = false;
    page.on('dialog', (d) => void (asked.push(d.message()), answer ? d.accept() : d.dismiss()));
    await vol.getByRole('button', { name: 'delete data' }).click();
    await shown(page, vol.getByText('delete: not done'), 'a declined delete said so');
    assert.equal((await me('GET', '/v1/volumes?name=data')).body.items.length, 1, 'declined: the volume is still there');
    answer = true;
    await vol.getByRole('button', { name: 'delete data' }).click();
    await shown(page, vol, 'volume deleted', 'detached');
    assert.deepEqual(asked, Array(2).fill('Delete volume data? Its data goes with it.'));
    assert.equal((await me('GET', '/v1/volumes?name=data')).body.items.length, 0, 'the volume is gone from the API too');
    await context.close();
  });

  test("a VM's buttons offer only what its status allows, and nothing while an operation runs", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const me = client(stack.api.url, tenantKey);
    await logIn(page, tenantKey);
    const row = page.locator('table[aria-label="VMs"] tr', { hasText: 'web-1' });
    const button = (action: string) => row.getByRole('button', { name: `${action} web-1` });
    const enabled = async () => {
      const out: string[] = [];
      for (const a of ['start', 'stop', 'reboot', 'resize', 'delete']) if (await button(a).isEnabled()) out.push(a);
      if (await row.getByRole('link', { name: 'console' }).count()) out.push('console');
      return out;
    };
    const idle = row.locator('td[data-col="operation"]', { hasText: '—' });
    await shown(page, row.locator('td[data-col="status"]', { hasText: 'running' }), 'vm running');
    await shown(page, idle, 'vm idle');
    assert.deepEqual(await enabled(), ['stop', 'reboot', 'resize', 'delete', 'console'], 'running: everything but start');

    // A stop that takes a while, as a guest's clean shutdown does: nothing is offered until it ends.
    await simLatency(stack.sim, 'VM.clean_shutdown', 1500);
    await button('stop').click();
    await shown(page, row.locator('td[data-col="operation"]', { hasText: 'stop' }), 'stop in progress');
    assert.deepEqual(await enabled(), [], 'nothing while the stop runs');
    await screenshot(page, 'vm-stopping');
    await shown(page, row.locator('td[data-col="status"]', { hasText: 'stopped' }), 'vm stopped');
    await shown(page, idle, 'vm idle');
    await simLatency(stack.sim, 'VM.clean_shutdown', 0);
    assert.deepEqual(await enabled(), ['start', 'resize', 'delete'], 'stopped: start, resize, delete; no console');
    // The page follows the API's own rule: what it disables the API refuses.
    const [vm] = (await me('GET', '/v1/vms?name=web-1')).body.items;
    assert.deepEqual([vm.operation, vm.allowedActions], [null, ['start', 'resize', 'delete']]);
    const refused = await me('POST', `/v1/vms/${vm.id}/actions`, { action: 'stop' });
    assert.deepEqual([refused.status, refused.body.code], [409, 'invalid_state']);
    await noSeriousViolations(page, 'the VM list with a stopped VM');
    await screenshot(page, 'vm-stopped');

    await button('start').click();
    await shown(page, row.locator('td[data-col="status"]', { hasText: 'running' }), 'vm running');
    await shown(page, idle, 'vm idle');
    assert.deepEqual(await enabled(), ['stop', 'reboot', 'resize', 'delete', 'console']);

    // Delete asks first (the VM's disks go with it); a "no" sends nothing.
    const asked = new Promise<string>((resolve) => page.once('dialog', (d) => void (resolve(d.message()), d.dismiss())));
    await button('delete').click();
    assert.equal(await asked, 'Delete VM web-1? Its disks and snapshots go with it.');
    const after = (await me('GET', '/v1/vms?name=web-1')).body.items[0];
    assert.deepEqual([after.status, after.operation], ['running', null], 'declined: nothing was sent');
    await context.close();
  });
});
