import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomLocalMac } from './mac.js';

test('MACs are unicast and locally administered, whatever the random bytes', () => {
  assert.equal(randomLocalMac(Buffer.from([0xff, 1, 2, 3, 4, 5])), 'fe:01:02:03:04:05');
  assert.equal(randomLocalMac(Buffer.alloc(6)), '02:00:00:00:00:00');
  for (let i = 0; i < 100; i++) assert.equal(parseInt(randomLocalMac().slice(0, 2), 16) & 0x03, 0x02);
});
