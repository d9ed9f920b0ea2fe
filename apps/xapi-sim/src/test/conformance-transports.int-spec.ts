import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, login, templateRef, waitTask, xapiError, type Transport } from '../testing/xapi-test-client.js';

// Same value on both wires: JSON numbers may arrive over XML-RPC as the decimal string of an int (xapi.md §1.2).
function disagreements(json: unknown, xml: unknown, path: string, stats: { intsAsStrings: number }): string[] {
  if (typeof json === 'number') {
    if (xml === json) return [];
    if (Number.isInteger(json) && xml === String(json)) return (stats.intsAsStrings++, []);
    return [`${path}: json ${json}, xml ${JSON.stringify(xml)}`];
  }
  if (Array.isArray(json)) {
    if (!Array.isArray(xml) || xml.length !== json.length) return [`${path}: json array of ${json.length}, xml ${JSON.stringify(xml)?.slice(0, 80)}`];
    return json.flatMap((v, i) => disagreements(v, xml[i], `${path}[${i}]`, stats));
  }
  if (typeof json === 'object' && json !== null) {
    if (typeof xml !== 'object' || xml === null) return [`${path}: json object, xml ${JSON.stringify(xml)}`];
    const keys = new Set([...Object.keys(json), ...Object.keys(xml)]);
    return [...keys].flatMap((k) => disagreements((json as any)[k], (xml as any)[k], `${path}.${k}`, stats));
  }
  return json === xml ? [] : [`${path}: json ${JSON.stringify(json)}, xml ${JSON.stringify(xml)}`];
}

// The outcome of one call as data: {ok: value} or {error: [code, ...params]}.
async function outcome(t: Transport, method: string, params: unknown[]): Promise<unknown> {
  try {
    return { ok: await t.call(method, ...params) };
  } catch (e) {
    const err = await xapiError(() => {
      throw e;
    });
    return { error: [err.code, ...err.params] };
  }
}

describe('conformance: XML-RPC and JSON-RPC give the same answers', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let xml: XmlRpc;
  let s: string;
  before(async () => {
    sim = await startSimulator();
    json = new JsonRpc(sim.url);
    xml = new XmlRpc(sim.url);
    s = await login(xml);
  });
  after(() => sim.close());

  it('agrees on records, scalars, sets, maps, datetimes, event batches, task records and errors', async () => {
    const tpl = await templateRef(json, s);
    const [pool] = await json.call('pool.get_all', s);
    const task = await json.call('Async.VM.clone', s, tpl, 'wire-twin');
    await waitTask(json, s, task);
    const calls: Array<[string, ...unknown[]]> = [
      ['pool.get_all_records', s],
      ['host.get_all_records', s],
      ['host_metrics.get_all_records', s],
      ['SR.get_all_records', s],
      ['network.get_all_records', s],
      ['PIF.get_all_records', s],
      ['VM.get_record', s, tpl],
      ['VM_metrics.get_all_records', s],
      ['VM.get_all_records_where', s, 'field "is_a_template"="true"'],
      ['VM.get_allowed_operations', s, tpl],
      ['VM.get_memory_static_max', s, tpl],
      ['VM.get_other_config', s, tpl],
      ['VM.get_is_a_template', s, tpl],
      ['VM.get_HVM_shadow_multiplier', s, tpl],
      ['host.compute_free_memory', s, sim.state.masterRef()],
      ['pool.get_master', s, pool],
      ['task.get_record', s, task],
      ['event.from', s, ['host', 'pool', 'sr'], '', 0.1],
      ['VM.get_record', s, 'OpaqueRef:00000000-0000-4000-8000-000000000000'],
      ['VM.clean_shutdown', s, tpl],
      ['VM.clone', s, tpl],
      ['SR.get_by_uuid', s, 'nope'],
      ['event.from', s, ['vm'], 'garbage', 0.1],
      ['no_such.call', s],
    ];
    const stats = { intsAsStrings: 0 };
    const wrong: string[] = [];
    for (const [method, ...params] of calls) {
      const [a, b] = [await outcome(json, method, params), await outcome(xml, method, params)];
      wrong.push(...disagreements(a, b, method, stats));
    }
    assert.deepEqual(wrong, []);
    assert.ok(stats.intsAsStrings > 20, `ints travel as strings over XML-RPC (${stats.intsAsStrings} seen)`);
  });

  it('types the wire values as xapi does: ints untyped, floats <double>, valid_ref_counts <i4>', async () => {
    const tpl = await templateRef(json, s);
    assert.match(await xml.rawCall('VM.get_memory_static_max', s, tpl), /<name>Value<\/name><value>1073741824<\/value>/);
    assert.match(await xml.rawCall('VM.get_HVM_shadow_multiplier', s, tpl), /<value><double>1\.0<\/double><\/value>/);
    assert.match(await xml.rawCall('event.from', s, ['pool'], '', 0.1), /<name>pool<\/name><value><i4>1<\/i4><\/value>/);
    assert.equal(await json.call('VM.get_memory_static_max', s, tpl), 1073741824);
  });
});
