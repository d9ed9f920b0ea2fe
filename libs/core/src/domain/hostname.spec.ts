import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostnameFromName, isHostname } from './hostname.js';

test('RFC 1123 host names are accepted, others refused', () => {
  for (const ok of ['web-1', 'a', '1host', 'web.example.com', `${'a'.repeat(63)}.b`]) assert.ok(isHostname(ok), ok);
  for (const bad of ['', '-web', 'web-', 'we_b', 'web..x', 'web.', `${'a'.repeat(64)}`, 'wéb', 'a b', `${'a.'.repeat(127)}a`])
    assert.ok(!isHostname(bad), bad);
});

test('a VM name always gives a valid host name (property)', () => {
  assert.equal(hostnameFromName('Web_1.prod'), 'web-1-prod');
  fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/), (name) => isHostname(hostnameFromName(name))));
});
