import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box.js';

const key = randomBytes(32).toString('base64');

test('a sealed secret opens under the same key and is not stored in clear', () => {
  const box = new SecretBox(key);
  const sealed = box.seal('xenroot-secret');
  assert.ok(!sealed.includes(Buffer.from('xenroot-secret')));
  assert.equal(box.open(sealed), 'xenroot-secret');
  assert.notDeepEqual(box.seal('xenroot-secret'), sealed, 'a fresh IV each time');
});

test('tampering or another key is detected', () => {
  const sealed = new SecretBox(key).seal('pw');
  sealed[sealed.length - 1] ^= 1;
  assert.throws(() => new SecretBox(key).open(sealed));
  assert.throws(() => new SecretBox(randomBytes(32).toString('base64')).open(new SecretBox(key).seal('pw')));
  assert.throws(() => new SecretBox(randomBytes(16).toString('base64')), /32 bytes/);
});
