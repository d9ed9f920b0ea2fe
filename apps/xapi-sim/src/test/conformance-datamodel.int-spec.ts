import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { loadXenapiJson, referenceMissing } from '../testing/reference-files.js';
import { JsonRpc, control, login } from '../testing/xapi-test-client.js';

const skip = referenceMissing();

describe('conformance: every method the simulator serves is in the datamodel, with its parameter count', { skip }, () => {
  let sim: Simulator;
  let json: JsonRpc;
  const declared = new Map<string, number>(); // "Class.message" -> params in xenapi.json, session included
  before(async () => {
    sim = await startSimulator();
    json = new JsonRpc(sim.url);
    for (const c of loadXenapiJson()) for (const m of c.messages) declared.set(`${c.name}.${m.name}`, m.params.length);
  });
  after(() => sim?.close());

  // xapi serves <class>.get_all_records_where for every table with get_all_records, although xenapi.json omits it.
  const declaredCount = (method: string): number | undefined => {
    const base = method.replace(/^Async\./, '');
    if (base.endsWith('.get_all_records_where')) return (declared.get(base.replace(/_where$/, '')) ?? NaN) + 1;
    return declared.get(base);
  };

  it('lists (system.listMethods) only datamodel messages, and serves a subset of them', async () => {
    const listed: string[] = await json.call('system.listMethods');
    assert.deepEqual(listed.filter((m) => declaredCount(m) === undefined), []);
    const served: string[] = (await control(sim.url, 'methods')).body.methods;
    assert.ok(served.length > 1000, `${served.length} served`);
    assert.deepEqual(served.filter((m) => !listed.includes(m)), []);
    assert.ok(!listed.includes('Async.session.logout') && !listed.includes('Async.VM.get_record'), 'no Async of session calls or accessors');
  });

  it('expects the datamodel parameter count for each served method (session not counted)', async () => {
    const served: string[] = (await control(sim.url, 'methods')).body.methods;
    const wrong: string[] = [];
    for (let i = 0; i < served.length; i += 16) {
      await Promise.all(served.slice(i, i + 16).map(async (method) => {
        const count = declaredCount(method)!;
        const takesSession = !['session.login_with_password', 'session.slave_local_login_with_password', 'session.create_from_db_file'].includes(method.replace(/^Async\./, ''));
        // One param too many fails the count check before anything runs, so no call has side effects.
        const raw = await json.raw({ jsonrpc: '2.0', method, params: Array.from({ length: count + 1 }, () => 'x'), id: 1 });
        const err = raw.json.error;
        const expected = String(count - (takesSession ? 1 : 0));
        const ok = err?.message === 'MESSAGE_PARAMETER_COUNT_MISMATCH' && err.data[0] === method.replace(/^Async\./, '') && err.data[2] === String(count - (takesSession ? 1 : 0) + 1);
        // login's version and originator are optional (xapi.md §1.5): it reports the 2 it needs.
        if (!ok || (err.data[1] !== expected && method !== 'session.login_with_password')) wrong.push(`${method}: ${JSON.stringify(err ?? raw.json.result)}`);
      }));
    }
    assert.deepEqual(wrong, []);
  });

  it('accepts login with 2 to 4 params, as the datamodel plus optional trailing params allow', async () => {
    assert.equal(declared.get('session.login_with_password'), 4);
    assert.match(await json.call('session.login_with_password', 'root', 'xenroot'), /^OpaqueRef:/);
    assert.match(await login(json), /^OpaqueRef:/);
  });
});
