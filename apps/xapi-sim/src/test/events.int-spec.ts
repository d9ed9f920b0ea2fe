import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, eventToken, login, templateRef, xapiError } from '../testing/xapi-test-client.js';

describe('event.from', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let s: string;
  before(async () => {
    sim = await startSimulator();
    json = new JsonRpc(sim.url);
    s = await login(json);
  });
  after(() => sim.close());

  // xapi_event.ml from_inner: a token is the last generation among the objects the subscription saw.
  const tokenNow = (classes = ['vm']) => eventToken(json, s, classes);

  it('returns every existing object as an add for the empty token, with lowercase classes and counts', async () => {
    const batch = await json.call('event.from', s, ['VM', 'host'], '', 1.0);
    assert.match(batch.token, /^\d{20},\d{20}$/);
    const vms = batch.events.filter((e: any) => e.class === 'vm');
    assert.equal(vms.length, batch.valid_ref_counts.vm);
    assert.equal(batch.events.filter((e: any) => e.class === 'host').length, 2);
    assert.ok(batch.events.every((e: any) => e.operation === 'add' && typeof e.id === 'string' && e.snapshot));
    assert.equal(
      batch.events.some((e: any) => e.class === 'sr'),
      false,
      'only subscribed classes',
    );
    assert.equal(batch.valid_ref_counts.sr, 2, 'the shared LVM SR and the NFS SR');
  });

  it('coalesces several changes into one mod carrying the latest snapshot', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'watched');
    const token = await tokenNow();
    await json.call('VM.set_name_description', s, vm, 'one');
    await json.call('VM.set_name_description', s, vm, 'two');
    const batch = await json.call('event.from', s, ['vm'], token, 5.0);
    const mine = batch.events.filter((e: any) => e.ref === vm);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].operation, 'mod');
    assert.equal(mine[0].snapshot.name_description, 'two');
    assert.ok(batch.token > token, 'tokens compare lexicographically');
  });

  it('reports a destroyed VM as del without a snapshot', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'doomed');
    const token = await tokenNow();
    await json.call('VM.destroy', s, vm);
    const batch = await json.call('event.from', s, ['vm'], token, 5.0);
    const del = batch.events.find((e: any) => e.ref === vm);
    assert.equal(del.operation, 'del');
    assert.equal('snapshot' in del, false);
  });

  it('blocks until the timeout and then returns no events and the same position', async () => {
    const token = await tokenNow();
    const started = Date.now();
    const batch = await json.call('event.from', s, ['vm'], token, 0.5);
    assert.ok(Date.now() - started >= 450, 'waited for the timeout');
    assert.deepEqual(batch.events, []);
    assert.equal(batch.token, token);
  });

  it('wakes a pending event.from on a change, without blocking other calls meanwhile', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'wake-me');
    const token = await tokenNow();
    const started = Date.now();
    const pending = json.call('event.from', s, [`vm/${vm}`], token, 10.0);
    await new Promise((r) => setTimeout(r, 100));
    await new XmlRpc(sim.url).call('VM.set_name_label', s, vm, 'woken');
    const batch = await pending;
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(
      batch.events.map((e: any) => [e.ref, e.operation, e.snapshot.name_label]),
      [[vm, 'mod', 'woken']],
    );
  });

  it('reports the progress of a task through task events', async () => {
    const token = await tokenNow(['task']);
    const task = await json.call('Async.VM.clone', s, await templateRef(json, s), 'via-events');
    let status = 'pending';
    let from = token;
    while (status === 'pending') {
      const batch = await json.call('event.from', s, ['task'], from, 5.0);
      from = batch.token;
      const ev = batch.events.find((e: any) => e.ref === task && e.snapshot);
      if (ev) status = ev.snapshot.status;
    }
    assert.equal(status, 'success');
  });

  it('event.inject returns a token just before a synthetic mod of the object', async () => {
    const [pool] = await json.call('pool.get_all', s);
    const token = await json.call('event.inject', s, 'pool', pool);
    const batch = await json.call('event.from', s, ['pool'], token, 1.0);
    assert.deepEqual(
      batch.events.map((e: any) => [e.class, e.operation, e.ref]),
      [['pool', 'mod', pool]],
    );
  });

  it('rejects a malformed token with EVENT_FROM_TOKEN_PARSE_FAILURE', async () => {
    const e = await xapiError(() => json.call('event.from', s, ['vm'], 'garbage', 1.0));
    assert.deepEqual([e.code, e.params], ['EVENT_FROM_TOKEN_PARSE_FAILURE', ['garbage']]);
  });

  it('encodes valid_ref_counts as <i4> and the token as a string over XML-RPC', async () => {
    const xml = new XmlRpc(sim.url);
    const raw = await xml.rawCall('event.from', s, ['host'], '', 1.0);
    assert.match(raw, /<name>host<\/name><value><i4>2<\/i4><\/value>/);
    assert.match(raw, /<name>token<\/name><value>\d{20},\d{20}<\/value>/);
    assert.match(raw, /<name>class<\/name><value>host<\/value>/);
  });
});
