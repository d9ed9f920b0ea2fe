import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESENCES, PRESENCE_RULES, nextPresence, type PresenceEvent } from './presence.js';

test('presence moves forward only, and released is final', () => {
  const events: PresenceEvent[] = ['made', 'gone', 'unconfirmed'];
  const table = Object.fromEntries(PRESENCES.map((p) => [p, Object.fromEntries(events.map((e) => [e, nextPresence(p, e)]))]));
  assert.deepEqual(table, {
    requested: { made: 'present', gone: 'released', unconfirmed: 'unconfirmed' },
    present: { made: 'present', gone: 'released', unconfirmed: 'unconfirmed' },
    unconfirmed: { made: 'present', gone: 'released', unconfirmed: 'unconfirmed' },
    released: { made: 'released', gone: 'released', unconfirmed: 'released' },
  });
});

test('only a present resource is billed, and everything not released holds its quota and addresses', () => {
  for (const p of PRESENCES) {
    const r = PRESENCE_RULES[p];
    assert.equal(r.billable, p === 'present', `${p} billable`);
    assert.equal(r.holdsQuota, p !== 'released', `${p} holds quota`);
    assert.equal(r.holdsAddresses, r.holdsQuota, `${p}: addresses go with the quota`);
    if (r.billable) assert.ok(r.onPool, `${p}: billed only for what the pool holds`);
  }
});
