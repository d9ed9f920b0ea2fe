import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, login, templateRef, xapiError } from '../testing/xapi-test-client.js';
import { parseMethodResponse } from '../wire/xml-rpc.js';

describe('protocol errors and encodings', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let xml: XmlRpc;
  let s: string;
  before(async () => {
    sim = await startSimulator();
    json = new JsonRpc(sim.url);
    xml = new XmlRpc(sim.url);
    s = await login(json);
  });
  after(() => sim.close());

  it('reports MESSAGE_PARAMETER_COUNT_MISMATCH with counts excluding the session', async () => {
    const e = await xapiError(() => json.call('VM.clone', s, 'OpaqueRef:x'));
    assert.deepEqual([e.code, e.params], ['MESSAGE_PARAMETER_COUNT_MISMATCH', ['VM.clone', '2', '1']]);
    const e2 = await xapiError(() => xml.call('session.login_with_password', 'root'));
    assert.deepEqual(e2.params, ['session.login_with_password', '2', '1']);
    // gen_server.ml: a message with param defaults matches `a :: b :: default_args`, so extra arguments are ignored.
    assert.equal((await xapiError(() => json.call('session.login_with_password', 'a', 'b', 'c', 'd', 'e'))).code, 'SESSION_AUTHENTICATION_FAILED');
    assert.equal((await xapiError(() => json.call('VM.clone', s, 'OpaqueRef:x', 'name', 'extra'))).code, 'MESSAGE_PARAMETER_COUNT_MISMATCH');
  });

  it('reports MESSAGE_METHOD_UNKNOWN for unknown methods and Async of session calls', async () => {
    for (const m of ['VM.frobnicate', 'NoSuchClass.get_all', 'Async.session.logout']) {
      const e = await xapiError(() => json.call(m, s));
      assert.deepEqual([e.code, e.params], ['MESSAGE_METHOD_UNKNOWN', [m]]);
    }
  });

  it('reports HANDLE_INVALID with the class and ref, and UUID_INVALID on get_by_uuid misses', async () => {
    const e = await xapiError(() => json.call('VM.get_record', s, 'OpaqueRef:00000000-0000-4000-8000-000000000000'));
    assert.deepEqual([e.code, e.params], ['HANDLE_INVALID', ['VM', 'OpaqueRef:00000000-0000-4000-8000-000000000000']]);
    const u = await xapiError(() => xml.call('SR.get_by_uuid', s, 'nope'));
    assert.deepEqual([u.code, u.params], ['UUID_INVALID', ['SR', 'nope']]);
  });

  it('answers malformed requests with HTTP 500 and an HTML body on both transports', async () => {
    const x = await xml.raw('<methodCall><methodName>VM.get_all');
    assert.equal(x.status, 500);
    assert.match(x.type, /text\/html/);
    const res = await fetch(`${sim.url}/jsonrpc`, { method: 'POST', body: '{"jsonrpc":"2.0",' });
    assert.equal(res.status, 500);
    assert.match(await res.text(), /<html>/);
  });

  it('sends ints as decimal strings over XML-RPC and numbers over JSON-RPC', async () => {
    const [metrics] = await json.call('host_metrics.get_all', s);
    const raw = await xml.rawCall('host_metrics.get_record', s, metrics);
    assert.match(raw, /<name>memory_total<\/name><value>68719476736<\/value>/);
    assert.match(raw, /<name>last_updated<\/name><value><dateTime\.iso8601>\d{8}T\d{2}:\d{2}:\d{2}Z<\/dateTime\.iso8601><\/value>/);
    assert.match(raw, /<name>live<\/name><value><boolean>1<\/boolean><\/value>/);
    const rec = await json.call('host_metrics.get_record', s, metrics);
    assert.equal(rec.memory_total, 68719476736);
    assert.match(rec.last_updated, /^\d{8}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('takes typed XML-RPC ints (<i4>, <int>) and string ints alike', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'typed-ints');
    const typed = (n: number, tag: string) => `<param><value><${tag}>${n}</${tag}></value></param>`;
    const mib = 1024 * 1024;
    const body = `<?xml version="1.0"?><methodCall><methodName>VM.set_VCPUs_max</methodName><params>
      <param><value>${s}</value></param><param><value><string>${vm}</string></value></param>${typed(4, 'i4')}</params></methodCall>`;
    assert.match((await xml.raw(body)).text, /Success/);
    const atStartup = body.replace('VM.set_VCPUs_max', 'VM.set_VCPUs_at_startup').replace(typed(4, 'i4'), typed(2, 'int'));
    assert.match((await xml.raw(atStartup)).text, /Success/);
    await xml.call('VM.set_memory_limits', s, vm, 256 * mib, 2048 * mib, 512 * mib, 2048 * mib);
    const rec = await json.call('VM.get_record', s, vm);
    assert.equal(rec.VCPUs_max, 4);
    assert.equal(rec.VCPUs_at_startup, 2);
    assert.equal(rec.memory_static_max, 2048 * mib);
    assert.equal((await xapiError(() => json.call('VM.set_VCPUs_max', s, vm, 'four'))).code, 'FIELD_TYPE_ERROR');
  });

  it('offers get_all_records_where, get_by_name_label and field getters for every modelled class', async () => {
    const templates = await json.call('VM.get_all_records_where', s, 'field "is_a_template"="true" and field "is_default_template"="true"');
    const names = Object.values(templates)
      .map((r: any) => r.name_label)
      .sort();
    assert.deepEqual(names, ['Debian Bookworm 12', 'Rocky Linux 9', 'Ubuntu Jammy Jellyfish 22.04', 'Ubuntu Noble Numbat 24.04']);
    const [pool] = await json.call('pool.get_all', s);
    const sr = await json.call('pool.get_default_SR', s, pool);
    assert.equal(await json.call('SR.get_physical_size', s, sr), 2 * 1024 ** 4);
    assert.deepEqual(await json.call('VTPM.get_all', s), []);
    const hosts = await json.call('host.get_all_records', s);
    assert.deepEqual(
      Object.values(hosts)
        .map((h: any) => h.name_label)
        .sort(),
      ['sim-host-1', 'sim-host-2'],
    );
  });

  it('edits maps with MAP_DUPLICATE_KEY on an existing key, and tags as a set', async () => {
    const vm = await templateRef(json, s, 'Rocky Linux 9');
    await json.call('VM.add_to_other_config', s, vm, 'xo:test', '1');
    const e = await xapiError(() => xml.call('VM.add_to_other_config', s, vm, 'xo:test', '2'));
    // xapi ocaml/database/db_cache_impl.ml Duplicate_key (table, field, ref, key), mapped by ocaml/xapi/exnHelper.ml
    assert.deepEqual([e.code, e.params], ['MAP_DUPLICATE_KEY', ['VM', 'other_config', vm, 'xo:test']]);
    await json.call('VM.remove_from_other_config', s, vm, 'xo:test');
    await json.call('VM.remove_from_other_config', s, vm, 'absent');
    assert.equal((await json.call('VM.get_other_config', s, vm))['xo:test'], undefined);
    await json.call('VM.add_tags', s, vm, 'a');
    await json.call('VM.add_tags', s, vm, 'a');
    await json.call('VM.add_tags', s, vm, 'b');
    await json.call('VM.remove_tags', s, vm, 'a');
    assert.deepEqual(await json.call('VM.get_tags', s, vm), ['b']);
    await json.call('VM.set_name_description', s, vm, 'changed');
    assert.equal(await xml.call('VM.get_name_description', s, vm), 'changed');
  });

  it('shows back-reference changes in records that were already rendered (both transports)', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'render-cache');
    const before = await json.call('VM.get_record', s, vm);
    assert.deepEqual((await xml.call('VM.get_record', s, vm)).VIFs, before.VIFs);
    const [net] = await json.call('network.get_by_name_label', s, 'Pool-wide network associated with eth0');
    const vif = await json.call('VIF.create', s, {
      device: '0',
      network: net,
      VM: vm,
      MAC: '',
      MTU: 0,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    });
    assert.deepEqual((await json.call('VM.get_record', s, vm)).VIFs, [...before.VIFs, vif]);
    assert.deepEqual((await xml.call('VM.get_record', s, vm)).VIFs, [...before.VIFs, vif]);
    await json.call('VIF.destroy', s, vif);
    assert.deepEqual((await xml.call('VM.get_record', s, vm)).VIFs, before.VIFs);
    assert.deepEqual((await json.call('VM.get_all_records', s))[vm].VIFs, before.VIFs);
  });

  // xapi ocaml/xapi/api_server.ml (callback): system.listMethods is the bare array over XML-RPC, no Status struct;
  // JSON-RPC wraps it as any result. gen_server.ml lists sync names only.
  it("lists methods for feature detection, sync names only, in xapi's envelopes", async () => {
    const methods: string[] = await json.call('system.listMethods');
    assert.ok(methods.includes('VM.get_all_records') && methods.includes('VM.start') && methods.includes('session.logout'));
    assert.equal(methods.filter((m) => m.startsWith('Async.')).length, 0);
    const text = await xml.rawCall('system.listMethods');
    assert.match(text, /^<\?xml version="1.0"\?><methodResponse><params><param><value><array><data><value>/);
    assert.doesNotMatch(text, /<name>Status<\/name>/);
    assert.deepEqual(parseMethodResponse(text), methods);
    const v1 = await new JsonRpc(sim.url, '1.0').raw({ method: 'system.listMethods', params: [], id: 7 });
    assert.deepEqual(v1.json, { result: methods, error: null, id: 7 });
  });
});
