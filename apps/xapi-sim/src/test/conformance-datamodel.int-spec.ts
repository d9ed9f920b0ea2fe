import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { loadXenapiJson, referenceMissing } from '../testing/reference-files.js';
import { JsonRpc, control, login } from '../testing/xapi-test-client.js';

const paramDefaults: Record<string, Record<string, unknown>> = JSON.parse(
  readFileSync(new URL('../../data/xapi-param-defaults.json', import.meta.url), 'utf8'),
).defaults;

const skip = referenceMissing();

describe('conformance: every method the simulator serves is in the datamodel, with its parameter count', { skip }, () => {
  let sim: Simulator;
  let json: JsonRpc;
  const declared = new Map<string, number>(); // "Class.message" -> params in xenapi.json, session included
  const declaredParams = new Map<string, string[]>();
  before(async () => {
    sim = await startSimulator();
    json = new JsonRpc(sim.url);
    for (const c of loadXenapiJson()) {
      for (const m of c.messages) {
        declared.set(`${c.name}.${m.name}`, m.params.length);
        declaredParams.set(
          `${c.name}.${m.name}`,
          m.params.map((p) => p.name),
        );
      }
    }
  });
  after(() => sim?.close());

  // xapi serves <class>.get_all_records_where for every table with get_all_records, although xenapi.json omits it.
  const declaredCount = (method: string): number | undefined => {
    const base = method.replace(/^Async\./, '');
    if (base.endsWith('.get_all_records_where')) return (declared.get(base.replace(/_where$/, '')) ?? NaN) + 1;
    return declared.get(base);
  };

  // xapi ocaml/idl/ocaml_backend/gen_server.ml (gen_module, "system.listMethods"): sync wire names of every message.
  it('lists (system.listMethods) the sync name of every datamodel message, and serves a subset of them', async () => {
    const listed: string[] = await json.call('system.listMethods');
    assert.deepEqual(
      listed.filter((m) => declaredCount(m) === undefined),
      [],
    );
    assert.deepEqual(
      listed.filter((m) => m.startsWith('Async.')),
      [],
      'sync names only',
    );
    assert.equal(listed.length, declared.size + listed.filter((m) => !declared.has(m)).length);
    assert.ok(listed.filter((m) => !declared.has(m)).every((m) => m.endsWith('.get_all_records_where')));
    const served: string[] = (await control(sim.url, 'methods')).body.methods;
    assert.ok(served.length > 1000, `${served.length} served`);
    assert.deepEqual(
      served.filter((m) => !listed.includes(m.replace(/^Async\./, ''))),
      [],
    );
  });

  // xapi ocaml/idl/ocaml_backend/gen_server.ml (operation): MESSAGE_PARAMETER_COUNT_MISMATCH [call, expected, received],
  // expected counting the params without param_default, session excluded; a message with defaults takes extra args.
  it('expects the datamodel parameter count for each served method (session and defaulted params not counted)', async () => {
    const served: string[] = (await control(sim.url, 'methods')).body.methods;
    const wrong: string[] = [];
    for (let i = 0; i < served.length; i += 16) {
      await Promise.all(
        served.slice(i, i + 16).map(async (method) => {
          const base = method.replace(/^Async\./, '');
          const count = declaredCount(method)!;
          const takesSession = !['session.login_with_password', 'session.slave_local_login_with_password', 'session.create_from_db_file'].includes(
            base,
          );
          const required = count - Object.keys(paramDefaults[base] ?? {}).filter((p) => declaredParams.get(base)?.includes(p)).length;
          // One param too many (too few where defaults exist) fails the count check before anything runs: no side effects.
          const sent = paramDefaults[base] ? required - 1 : count + 1;
          const raw = await json.raw({ jsonrpc: '2.0', method, params: Array.from({ length: sent }, () => 'x'), id: 1 });
          const err = raw.json.error;
          const expected = [base, String(required - (takesSession ? 1 : 0)), String(sent - (takesSession ? 1 : 0))];
          if (err?.message !== 'MESSAGE_PARAMETER_COUNT_MISMATCH' || JSON.stringify(err.data) !== JSON.stringify(expected))
            wrong.push(`${method}: ${JSON.stringify(err ?? raw.json.result)}`);
        }),
      );
    }
    assert.deepEqual(wrong, []);
  });

  it('accepts login with 2 to 4 params, as the datamodel plus optional trailing params allow', async () => {
    assert.equal(declared.get('session.login_with_password'), 4);
    assert.match(await json.call('session.login_with_password', 'root', 'xenroot'), /^OpaqueRef:/);
    assert.match(await login(json), /^OpaqueRef:/);
  });

  // The defaults come from xapi's IDL (ocaml/idl/datamodel*.ml param_default) via scripts/extract-param-defaults.mjs.
  it('ships the defaults xapi declares for the calls clients leave short', () => {
    assert.deepEqual(paramDefaults['VM.snapshot'], { ignore_vdis: [] });
    assert.deepEqual(paramDefaults['host.evacuate'], { network: 'OpaqueRef:NULL', evacuate_batch_size: 0 });
    assert.deepEqual(paramDefaults['VDI.copy'], { sr: 'OpaqueRef:NULL', base_vdi: 'OpaqueRef:NULL', into_vdi: 'OpaqueRef:NULL' });
    for (const m of ['VDI.clone', 'VDI.snapshot']) assert.deepEqual(paramDefaults[m], { driver_params: {} });
    for (const m of ['VM.migrate_send', 'VM.assert_can_migrate']) assert.deepEqual(paramDefaults[m]?.vgpu_map, {});
    assert.deepEqual(paramDefaults['tunnel.create'], { protocol: 'gre' });
    assert.deepEqual(paramDefaults['Bond.create'], { mode: 'balance-slb', properties: {} });
    assert.deepEqual(paramDefaults['session.login_with_password'], { version: '1.1', originator: '' });
  });
});
