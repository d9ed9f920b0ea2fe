// Security groups (issue 16): CRUD, rules and their bad input, the default group, quotas with recount, isolation
// between tenants (another tenant's group is 404, also as remoteGroupId), in_use on delete, NICs' groups on VMs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Client;
let flavorId: string;
let imageId: string;

async function tenant(name: string, quota?: Record<string, number>): Promise<{ id: string; token: string }> {
  const t = await api.call('POST', '/v1/tenants', { body: { name, ...(quota ? { quota } : {}) } });
  const key = await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'k', role: 'member' } });
  return { id: t.body.id, token: key.body.token };
}

async function activeNetwork(token: string, name: string): Promise<string> {
  const r = await api.call('POST', '/v1/networks', { token, body: { name, cidr: '10.0.0.0/24' } });
  await db.query(`UPDATE networks SET status = 'active', presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [
    r.body.network.id,
  ]);
  return r.body.network.id as string;
}

const defaultOf = async (token: string) =>
  ((await api.call('GET', '/v1/security-groups', { token })).body.items as { id: string; isDefault: boolean; name: string }[]).find(
    (g) => g.isDefault,
  )!;

before(async () => {
  api = await startApi();
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'sg-small', vcpus: 1, memoryMiB: 512, diskGiB: 20 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'sg-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('security groups', () => {
  test('every tenant has a default group: ingress from its own members, all egress; it keeps its name and cannot go', async () => {
    const t = await tenant('sg-default');
    const d = (await api.call('GET', `/v1/security-groups/${(await defaultOf(t.token)).id}`, { token: t.token })).body;
    assert.equal(d.name, 'default');
    // Both rules are seeded in one statement (same created_at): their order is by id, so compare them sorted.
    const rules = d.rules.map((r: Record<string, unknown>) => [r.direction, r.protocol, r.remoteCidr, r.remoteGroupId]).sort();
    assert.deepEqual(rules, [
      ['egress', 'any', '0.0.0.0/0', null],
      ['ingress', 'any', null, d.id],
    ]);
    const rename = await api.call('PATCH', `/v1/security-groups/${d.id}`, { token: t.token, body: { name: 'other' } });
    assert.deepEqual([rename.status, rename.body.code], [409, 'default_group']);
    assert.equal(
      (await api.call('PATCH', `/v1/security-groups/${d.id}`, { token: t.token, body: { description: 'mine' } })).body.description,
      'mine',
    );
    const del = await api.call('DELETE', `/v1/security-groups/${d.id}`, { token: t.token });
    assert.deepEqual([del.status, del.body.code], [409, 'default_group']);
    const again = await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'default' } });
    assert.deepEqual([again.status, again.body.code], [409, 'name_taken']);
  });

  test('create, rules, get, list, rename, delete; names unique per tenant; another tenant sees 404 everywhere', async () => {
    const t = await tenant('sg-crud');
    const other = await tenant('sg-crud-other');
    const g = await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'web', description: 'http' } });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    assert.deepEqual([g.body.name, g.body.description, g.body.isDefault, g.body.rules], ['web', 'http', false, []]);
    const rule = await api.call('POST', `/v1/security-groups/${g.body.id}/rules`, {
      token: t.token,
      body: { direction: 'ingress', protocol: 'tcp', portMin: 8000, portMax: 8099, remoteCidr: '192.0.2.0/24' },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    assert.deepEqual(
      [rule.body.securityGroupId, rule.body.portMin, rule.body.portMax, rule.body.remoteCidr],
      [g.body.id, 8000, 8099, '192.0.2.0/24'],
    );
    const single = await api.call('POST', `/v1/security-groups/${g.body.id}/rules`, {
      token: t.token,
      body: { direction: 'ingress', protocol: 'udp', portMin: 53, remoteCidr: '0.0.0.0/0' },
    });
    assert.deepEqual([single.body.portMin, single.body.portMax], [53, 53], 'portMax defaults to portMin');
    const got = (await api.call('GET', `/v1/security-groups/${g.body.id}`, { token: t.token })).body;
    assert.deepEqual(got.rules, [rule.body, single.body]);
    assert.deepEqual((await api.call('GET', `/v1/security-groups/${g.body.id}/rules`, { token: t.token })).body, [rule.body, single.body]);
    assert.deepEqual((await api.call('GET', `/v1/security-groups/${g.body.id}/rules/${rule.body.id}`, { token: t.token })).body, rule.body);
    const names = (await api.call('GET', '/v1/security-groups', { token: t.token })).body.items.map((x: { name: string }) => x.name);
    assert.deepEqual(names, ['web', 'default']);
    assert.equal((await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'web' } })).body.code, 'name_taken');
    assert.equal((await api.call('POST', '/v1/security-groups', { token: other.token, body: { name: 'web' } })).status, 201);

    for (const [method, path] of [
      ['GET', `/v1/security-groups/${g.body.id}`],
      ['PATCH', `/v1/security-groups/${g.body.id}`],
      ['DELETE', `/v1/security-groups/${g.body.id}`],
      ['GET', `/v1/security-groups/${g.body.id}/rules`],
      ['GET', `/v1/security-groups/${g.body.id}/rules/${rule.body.id}`],
      ['DELETE', `/v1/security-groups/${g.body.id}/rules/${rule.body.id}`],
    ] as const) {
      const r = await api.call(method, path, { token: other.token, ...(method === 'PATCH' ? { body: { name: 'x' } } : {}) });
      assert.equal(r.status, 404, `${method} ${path}`);
    }
    const theirs = await defaultOf(other.token);
    const foreignRemote = await api.call('POST', `/v1/security-groups/${g.body.id}/rules`, {
      token: t.token,
      body: { direction: 'ingress', protocol: 'any', remoteGroupId: theirs.id },
    });
    assert.deepEqual([foreignRemote.status, foreignRemote.body.code], [404, 'not_found']);

    assert.equal((await api.call('PATCH', `/v1/security-groups/${g.body.id}`, { token: t.token, body: { name: 'www' } })).body.name, 'www');
    assert.equal((await api.call('DELETE', `/v1/security-groups/${g.body.id}/rules/${rule.body.id}`, { token: t.token })).status, 204);
    assert.equal((await api.call('DELETE', `/v1/security-groups/${g.body.id}/rules/${rule.body.id}`, { token: t.token })).status, 404);
    assert.equal((await api.call('DELETE', `/v1/security-groups/${g.body.id}`, { token: t.token })).status, 204);
    assert.equal((await api.call('GET', `/v1/security-groups/${g.body.id}`, { token: t.token })).status, 404);
  });

  test('bad rules are 400 on their field: ranges upside down, ports on icmp/any, unknown protocols, bad CIDRs, two peers or none', async () => {
    const t = await tenant('sg-bad');
    const g = (await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'g' } })).body;
    const base = { direction: 'ingress', protocol: 'tcp', remoteCidr: '0.0.0.0/0' };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ portMin: 90, portMax: 80 }, 'portMax', /below portMin/],
      [{ protocol: 'icmp', portMin: 1 }, 'portMin', /tcp and udp only/],
      [{ protocol: 'any', portMax: 1 }, 'portMax', /tcp and udp only/],
      [{ portMax: 80 }, 'portMin', /needs portMin/],
      [{ portMin: 70000 }, 'portMin', /65535/],
      [{ portMin: 1.5 }, 'portMin', /integer/],
      [{ protocol: 'sctp' }, 'protocol', /one of/],
      [{ direction: 'sideways' }, 'direction', /one of/],
      [{ remoteCidr: '10.0.0.1/24' }, 'remoteCidr', /host bits/],
      [{ remoteCidr: '300.0.0.0/8' }, 'remoteCidr', /not an IPv4/],
      [{ remoteCidr: '10.0.0.0/33' }, 'remoteCidr', /not an IPv4 CIDR/],
      [{ remoteCidr: 'fe80::/64' }, 'remoteCidr', /IPv4/],
      [{ remoteCidr: undefined }, 'remoteCidr', /exactly one/],
      [{ remoteGroupId: g.id }, 'remoteCidr', /exactly one/],
      [{ remoteCidr: undefined, remoteGroupId: 'nope' }, 'remoteGroupId', /UUID/],
    ];
    for (const [patch, path, message] of cases) {
      const r = await api.call('POST', `/v1/security-groups/${g.id}/rules`, { token: t.token, body: { ...base, ...patch } });
      assert.equal(r.status, 400, `${JSON.stringify(patch)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'validation_failed');
      const err = r.body.errors.find((e: { path: string }) => e.path === path);
      assert.ok(err, `${JSON.stringify(patch)} names ${path}: ${JSON.stringify(r.body.errors)}`);
      assert.match(err.message, message, JSON.stringify(patch));
    }
    const unknown = await api.call('POST', `/v1/security-groups/${g.id}/rules`, {
      token: t.token,
      body: { ...base, remoteCidr: undefined, remoteGroupId: '00000000-0000-4000-8000-000000000000' },
    });
    assert.equal(unknown.status, 404);
    assert.deepEqual((await api.call('GET', `/v1/security-groups/${g.id}`, { token: t.token })).body.rules, [], 'nothing was recorded');
  });

  test('quotas securityGroups and securityGroupRules: refused past the limit, given back on delete, the recount agrees', async () => {
    const t = await tenant('sg-quota', { securityGroups: 1, securityGroupRules: 2 });
    const g = (await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'one' } })).body;
    const refused = await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'two' } });
    assert.deepEqual([refused.status, refused.body.code, refused.body.resource], [409, 'quota_exceeded', 'securityGroups']);
    const rule = (n: number) =>
      api.call('POST', `/v1/security-groups/${g.id}/rules`, {
        token: t.token,
        body: { direction: 'ingress', protocol: 'tcp', portMin: n, remoteCidr: '0.0.0.0/0' },
      });
    assert.equal((await rule(1)).status, 201);
    assert.equal((await rule(2)).status, 201);
    const third = await rule(3);
    assert.deepEqual([third.status, third.body.resource, third.body.limit, third.body.used], [409, 'securityGroupRules', 2, 2]);
    let used = (await api.call('GET', '/v1/quota', { token: t.token })).body.used;
    assert.deepEqual([used.securityGroups, used.securityGroupRules], [1, 2], 'the default group and its rules are not counted');
    const recount = (await api.call('POST', `/v1/tenants/${t.id}/quota/recount`)).body;
    assert.deepEqual([recount.drift.securityGroups, recount.drift.securityGroupRules], [0, 0]);
    assert.equal((await api.call('DELETE', `/v1/security-groups/${g.id}`, { token: t.token })).status, 204);
    used = (await api.call('GET', '/v1/quota', { token: t.token })).body.used;
    assert.deepEqual([used.securityGroups, used.securityGroupRules], [0, 0], 'the group and its rules are given back');
    assert.equal((await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'two' } })).status, 201);
  });

  test("VMs: NICs join the default group unless groups are named; a group in use is 409 in_use; another tenant's group is 404", async () => {
    const t = await tenant('sg-vms');
    const other = await tenant('sg-vms-other');
    const net = await activeNetwork(t.token, 'lan');
    const d = await defaultOf(t.token);
    const web = (await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'web' } })).body;
    const plain = await api.call('POST', '/v1/vms', { token: t.token, body: { name: 'plain', flavorId, imageId, networkIds: [net] } });
    assert.equal(plain.status, 202, JSON.stringify(plain.body));
    assert.deepEqual(plain.body.vm.nics[0].securityGroupIds, [d.id]);
    const named = await api.call('POST', '/v1/vms', {
      token: t.token,
      body: { name: 'web1', flavorId, imageId, networkIds: [net], securityGroupIds: [web.id, d.id] },
    });
    assert.equal(named.status, 202, JSON.stringify(named.body));
    const expect = [web.id, d.id].sort();
    assert.deepEqual(named.body.vm.nics[0].securityGroupIds, expect);
    assert.deepEqual((await api.call('GET', `/v1/vms/${named.body.vm.id}`, { token: t.token })).body.nics[0].securityGroupIds, expect);
    const inUse = await api.call('DELETE', `/v1/security-groups/${web.id}`, { token: t.token });
    assert.deepEqual([inUse.status, inUse.body.code, inUse.body.usedBy.vms], [409, 'in_use', [named.body.vm.id]]);

    const referer = (await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'db' } })).body;
    const spare = (await api.call('POST', '/v1/security-groups', { token: t.token, body: { name: 'spare' } })).body;
    await api.call('POST', `/v1/security-groups/${referer.id}/rules`, {
      token: t.token,
      body: { direction: 'ingress', protocol: 'tcp', portMin: 5432, remoteGroupId: spare.id },
    });
    const referenced = await api.call('DELETE', `/v1/security-groups/${spare.id}`, { token: t.token });
    assert.deepEqual([referenced.status, referenced.body.code, referenced.body.usedBy.securityGroups], [409, 'in_use', [referer.id]]);

    const nic = named.body.vm.nics[0];
    const put = await api.call('PUT', `/v1/vms/${named.body.vm.id}/nics/${nic.id}`, { token: t.token, body: { securityGroupIds: [d.id] } });
    assert.deepEqual([put.status, put.body.securityGroupIds], [200, [d.id]], JSON.stringify(put.body));
    const listed = (await api.call('GET', `/v1/vms/${named.body.vm.id}/nics`, { token: t.token })).body.items;
    assert.deepEqual(listed[0].securityGroupIds, [d.id]);
    assert.equal((await api.call('DELETE', `/v1/security-groups/${web.id}`, { token: t.token })).status, 204, 'no NIC carries it any more');
    const none = await api.call('PUT', `/v1/vms/${named.body.vm.id}/nics/${nic.id}`, { token: t.token, body: { securityGroupIds: [] } });
    assert.deepEqual(none.body.securityGroupIds, []);

    const foreign = await defaultOf(other.token);
    const foreignPut = await api.call('PUT', `/v1/vms/${named.body.vm.id}/nics/${nic.id}`, {
      token: t.token,
      body: { securityGroupIds: [foreign.id] },
    });
    assert.deepEqual([foreignPut.status, foreignPut.body.code], [404, 'not_found']);
    const theirPut = await api.call('PUT', `/v1/vms/${named.body.vm.id}/nics/${nic.id}`, { token: other.token, body: { securityGroupIds: [] } });
    assert.equal(theirPut.status, 404, "another tenant's VM");
    const r = await api.call('POST', '/v1/vms', {
      token: t.token,
      body: { name: 'x', flavorId, imageId, networkIds: [net], securityGroupIds: [foreign.id] },
    });
    assert.deepEqual([r.status, r.body.code], [404, 'not_found']);
    const vms = (await api.call('GET', '/v1/vms', { token: t.token })).body.items.map((v: { name: string }) => v.name);
    assert.ok(!vms.includes('x'), 'nothing was recorded');
  });
});
