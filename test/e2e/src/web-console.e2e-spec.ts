// The web console (issue 19) in a real browser against the real processes: login by key exchange, a VM created and
// seen running through the event stream (no list request while its status moves), its console drawn by noVNC, a quota
// refusal explained, a network made and deleted from its view, an operator setting a quota and reading hosts; the
// fallback polls once the stream is refused. axe-core checks each screen. Screenshots land in test/e2e/artifacts/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
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

    await page.getByRole('link', { name: 'Networks' }).click();
    await page.getByLabel('Name').fill('back');
    await page.getByLabel('CIDR').fill('10.9.0.0/24');
    await page.getByRole('button', { name: 'Create network' }).click();
    const net = page.locator('table[aria-label="networks"] tr', { hasText: 'back' });
    await net.locator('td[data-col="status"]', { hasText: 'active' }).waitFor({ timeout: 30_000 });
    await noSeriousViolations(page, 'the networks view');
    await screenshot(page, 'network-active');
    await net.getByRole('button', { name: 'delete back' }).click();
    await net.waitFor({ state: 'detached', timeout: 30_000 }).catch(async (err: unknown) => {
      await screenshot(page, 'network-delete-failed');
      throw new Error(`${String(err)}\n${await page.locator('main').innerText()}`);
    });

    await page.getByRole('link', { name: 'Quota' }).click();
    await page.getByText('vms: 1 / 1').waitFor();
    await noSeriousViolations(page, 'the quota gauges');
    await screenshot(page, 'quota-gauges');

    // The stream refused (as a 429 would be): the console says so and the views fall back to polling.
    await page.route('**/v1/events**', (r) =>
      r.fulfill({ status: 429, contentType: 'application/problem+json', body: '{"code":"stream_limit_reached"}' }),
    );
    await page.reload();
    await page.getByRole('status', { name: 'updates' }).filter({ hasText: 'Polling' }).waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'VMs' }).click();
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
    await page.locator('table[aria-label="tenant VMs"] tr', { hasText: 'web-1' }).waitFor();
    await page.getByRole('link', { name: 'Hosts' }).click();
    await page.locator('table[aria-label="Hosts"] meter').first().waitFor();
    await noSeriousViolations(page, 'the hosts view');
    await screenshot(page, 'operator-hosts');
    await context.close();
  });
});
