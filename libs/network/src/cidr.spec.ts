import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostAddress, intToIp, ipToInt, parseTenantCidr } from './cidr.js';

test('a /24 reserves network, gateway and broadcast', () => {
  const s = parseTenantCidr('10.1.2.0/24');
  assert.equal(intToIp(s.gateway), '10.1.2.1');
  assert.equal(intToIp(s.broadcast), '10.1.2.255');
  assert.equal(s.capacity, 253);
  assert.equal(hostAddress(s, 0), '10.1.2.2');
  assert.equal(hostAddress(s, 252), '10.1.2.254');
  assert.throws(() => hostAddress(s, 253));
});

test('public ranges, host bits, bad prefixes and junk are refused', () => {
  for (const bad of [
    '8.8.8.0/24',
    '10.1.2.3/24',
    '10.0.0.0/8',
    '10.0.0.0/30',
    '192.168.1.0',
    '192.168.1.0/24/1',
    '300.1.1.0/24',
    '10.01.0.0/16',
    '172.32.0.0/16',
  ]) {
    assert.throws(() => parseTenantCidr(bad), RangeError, bad);
  }
  assert.equal(parseTenantCidr('172.31.0.0/16').capacity, 65533);
  assert.equal(parseTenantCidr('192.168.7.248/29').capacity, 5);
});

test('every host address of any valid subnet lies strictly between gateway and broadcast', () => {
  fc.assert(
    fc.property(fc.integer({ min: 16, max: 29 }), fc.integer({ min: 0, max: 2 ** 24 - 1 }), fc.nat(), (prefix, bits, pick) => {
      const base = (ipToInt('10.0.0.0') + bits) >>> 0;
      const network = (base & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
      const s = parseTenantCidr(`${intToIp(network)}/${prefix}`);
      const ip = ipToInt(hostAddress(s, pick % s.capacity));
      return ip > s.gateway && ip < s.broadcast;
    }),
  );
});
