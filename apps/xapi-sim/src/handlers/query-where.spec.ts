import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWhere } from './query-where.js';

describe('get_all_records_where expressions', () => {
  const vm = { name_label: 'web', is_a_template: false, power_state: 'Running', VCPUs_max: 2 };

  it('compares fields with literals, stringifying bools and ints', () => {
    assert.equal(parseWhere('field "is_a_template"="false"')(vm), true);
    assert.equal(parseWhere('field "VCPUs_max" = "2"')(vm), true);
    assert.equal(parseWhere('field "name_label"<>"web"')(vm), false);
  });

  it('combines with and/or/not and parentheses', () => {
    assert.equal(parseWhere('field "power_state"="Running" and field "name_label"="web"')(vm), true);
    assert.equal(parseWhere('field "power_state"="Halted" or (not (field "name_label"="db"))')(vm), true);
    assert.equal(parseWhere('true and false')(vm), false);
  });

  it('rejects malformed expressions', () => {
    assert.throws(() => parseWhere('field "x" ='));
    assert.throws(() => parseWhere('field x="y"'));
  });
});
