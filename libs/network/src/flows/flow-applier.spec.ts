import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFlows, parseFlowDiff } from './flow-applier.js';
import { generateFlows } from './flow-generator.js';
import { oneHostTwoPorts } from './flow-fixtures.js';
import type { OfctlRunner } from './ofctl.js';

const own = 'cookie=0x5a03000000000001';

test('diff lines become exact deletes and adds; a changed flow is only re-added', () => {
  const diff = [
    `-table=10 priority=100,ip,reg5=0x1,nw_src=10.0.0.1 ${own} actions=goto_table:30`,
    `+table=10 priority=100,ip,reg5=0x1,nw_src=10.0.0.1 ${own} actions=drop`,
    `-table=40 priority=100,reg7=0x1 ${own} actions=output:1`,
    `+table=40 priority=100,reg7=0x2 ${own} actions=output:2`,
  ].join('\n');
  assert.deepEqual(parseFlowDiff(diff), {
    adds: [`add table=10 priority=100,ip,reg5=0x1,nw_src=10.0.0.1 ${own} actions=drop`, `add table=40 priority=100,reg7=0x2 ${own} actions=output:2`],
    deletes: [`delete_strict table=40 priority=100,reg7=0x1 ${own}/-1`],
  });
});

test('a diff that would touch a foreign cookie is refused', () => {
  assert.throws(() => parseFlowDiff('-table=0 priority=5,in_port=7 cookie=0x1 actions=drop'), /foreign cookie/);
});

test('no differences: no bundle is sent', async () => {
  const calls: string[][] = [];
  const run: OfctlRunner = async (args) => (calls.push(args), { code: 0, stdout: '' });
  const r = await applyFlows({ target: 'unix:/nonexistent.mgmt', run, complete: true }, generateFlows(oneHostTwoPorts()));
  assert.deepEqual(r, { added: 0, removed: 0, deferredDeletes: 0 });
  assert.deepEqual(
    calls.map((a) => a.find((x) => /-flows$/.test(x))),
    ['dump-flows', 'diff-flows'],
  );
});

test('a partial desired state never deletes', async () => {
  const calls: string[][] = [];
  const stdout = `-table=40 priority=100,reg7=0x1 ${own} actions=output:1\n`;
  const run: OfctlRunner = async (args) => (
    calls.push(args),
    { code: args.includes('diff-flows') ? 2 : 0, stdout: args.includes('diff-flows') ? stdout : '' }
  );
  const r = await applyFlows({ target: 'unix:/nonexistent.mgmt', run, complete: false }, generateFlows(oneHostTwoPorts()));
  assert.deepEqual(r, { added: 0, removed: 0, deferredDeletes: 1 });
  assert.equal(calls.filter((a) => a.includes('--bundle')).length, 0);
});
