import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseResult, parseXapiDateTime, prepareParams, resultTypeOf, XapiFloat } from './value-normaliser.js';
import { parseXapiType } from './xapi-type.parser.js';

describe('datamodel normalisation', () => {
  it('parses datamodel type strings', () => {
    assert.deepEqual(parseXapiType('VM ref set'), { kind: 'set', of: { kind: 'string' } });
    assert.deepEqual(parseXapiType('(string -> int) map'), { kind: 'map', key: { kind: 'string' }, value: { kind: 'int' } });
    assert.deepEqual(parseXapiType('(VM ref -> (string -> int) map) map'), {
      kind: 'map',
      key: { kind: 'string' },
      value: { kind: 'map', key: { kind: 'string' }, value: { kind: 'int' } },
    });
    assert.deepEqual(parseXapiType('VM record'), { kind: 'record', cls: 'VM' });
    assert.deepEqual(parseXapiType('enum vm_power_state'), { kind: 'string' });
  });

  it('derives accessor result types from fields', () => {
    assert.equal(resultTypeOf('VM.get_memory_static_max'), 'int');
    assert.equal(resultTypeOf('VM.get_record'), 'VM record');
    assert.equal(resultTypeOf('vm.get_all_records'), '(VM ref -> VM record) map');
    assert.equal(resultTypeOf('host.compute_free_memory'), 'int');
    assert.equal(resultTypeOf('VM.get_name_label'), undefined);
  });

  it('turns XML-RPC strings into numbers and dates by type, leaving JSON values alone', () => {
    const fromXml = {
      memory_static_max: '1073741824',
      VCPUs_max: '2',
      name_label: '42',
      other_config: { a: '1' },
      VBDs: [],
      snapshot_time: '20230729T13:20:01Z',
    };
    const fromJson = {
      memory_static_max: 1073741824,
      VCPUs_max: 2,
      name_label: '42',
      other_config: { a: '1' },
      VBDs: [],
      snapshot_time: '20230729T13:20:01Z',
    };
    const expected = { ...fromJson, snapshot_time: new Date('2023-07-29T13:20:01Z') };
    assert.deepEqual(normaliseResult('VM.get_all_records', { 'OpaqueRef:a': fromXml }), { 'OpaqueRef:a': expected });
    assert.deepEqual(normaliseResult('VM.get_all_records', { 'OpaqueRef:a': fromJson }), { 'OpaqueRef:a': expected });
    assert.equal(normaliseResult('VM.get_VCPUs_max', '4'), 4);
    assert.equal(normaliseResult('task.get_progress', '0.25'), 0.25);
  });

  it('normalises event batches and snapshots by their (lowercase) class', () => {
    const batch = normaliseResult('event.from', {
      token: '00000000000000000012,00000000000000000000',
      valid_ref_counts: { vm: '3' },
      events: [{ id: '12', timestamp: '0.0', class: 'vm', operation: 'mod', ref: 'OpaqueRef:v', snapshot: { VCPUs_max: '2' } }],
    }) as { valid_ref_counts: unknown; events: Array<Record<string, unknown>> };
    assert.deepEqual(batch.valid_ref_counts, { vm: 3 });
    assert.equal(batch.events[0].id, 12);
    assert.deepEqual(batch.events[0].timestamp, new Date(0));
    assert.deepEqual(batch.events[0].snapshot, { VCPUs_max: 2 });
  });

  it('parses XAPI datetime shapes', () => {
    assert.deepEqual(parseXapiDateTime('19700101T00:00:00Z'), new Date(0));
    assert.deepEqual(parseXapiDateTime('2023-07-29T13:20:01Z'), new Date('2023-07-29T13:20:01Z'));
    assert.deepEqual(parseXapiDateTime('20230729T13:20:01'), new Date('2023-07-29T13:20:01Z'));
    assert.equal(parseXapiDateTime('yesterday'), undefined);
  });

  it('marks float-typed params so integral values stay floats', () => {
    const [classes, token, timeout] = prepareParams('event.from', [['vm'], '', 30]);
    assert.deepEqual([classes, token], [['vm'], '']);
    assert.ok(timeout instanceof XapiFloat && timeout.value === 30);
    const [rec] = prepareParams('VM.create', [{ HVM_shadow_multiplier: 1, VCPUs_max: 2 }]) as [Record<string, unknown>];
    assert.ok(rec.HVM_shadow_multiplier instanceof XapiFloat);
    assert.equal(rec.VCPUs_max, 2);
    assert.deepEqual(prepareParams('VM.set_VCPUs_max', ['OpaqueRef:v', 2]), ['OpaqueRef:v', 2]);
  });
});
