import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AppliedFlows } from './applied-flows.js';
import { applyFlows, parseFlowDiff } from './flow-applier.js';
import { generateFlows } from './flow-generator.js';
import { oneHostTwoPorts } from './flow-fixtures.js';
import type { OfctlRunner } from './ofctl.js';

const own = 'cookie=0x5a03000000000001';
// What dump-flows prints when some of our flows are on the bridge (the diff path; an empty bridge skips the diff).
const dumped = ` ${own}, table=40, priority=100,reg7=0x1 actions=output:1\n`;
const dumpOr = (args: string[], other: string) => (args.includes('dump-flows') ? dumped : other);

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
  const run: OfctlRunner = async (args) => (calls.push(args), { code: 0, stdout: dumpOr(args, '') });
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
    { code: args.includes('diff-flows') ? 2 : 0, stdout: args.includes('diff-flows') ? stdout : dumpOr(args, '') }
  );
  const r = await applyFlows({ target: 'unix:/nonexistent.mgmt', run, complete: false }, generateFlows(oneHostTwoPorts()));
  assert.deepEqual(r, { added: 0, removed: 0, deferredDeletes: 1 });
  assert.equal(calls.filter((a) => a.includes('--bundle')).length, 0);
});

test('a bridge without any of our flows (new, or vswitchd restarted) gets every flow in one bundle, with no diff', async () => {
  const calls: string[][] = [];
  const run: OfctlRunner = async (args) => (calls.push(args), { code: 0, stdout: '' });
  const flows = generateFlows(oneHostTwoPorts());
  const r = await applyFlows({ target: 'unix:/nonexistent.mgmt', run, complete: true }, flows);
  assert.deepEqual(r, { added: flows.length, removed: 0, deferredDeletes: 0 });
  assert.deepEqual(
    calls.map((a) => a.find((x) => /-flows$/.test(x))),
    ['dump-flows', 'add-flows'],
  );
  assert.ok(calls[1].includes('--bundle'));
});

test('with the last applied set known, a moved port sends only the flows that name it, exact deletes included, and nothing is dumped', async () => {
  const calls: string[][] = [];
  const bundles: string[][] = [];
  const run: OfctlRunner = async (args) => {
    calls.push(args);
    if (args.includes('--bundle')) bundles.push(readFileSync(args.at(-1)!, 'utf8').trim().split('\n'));
    return { code: 0, stdout: '' };
  };
  const applied = new AppliedFlows();
  const state = oneHostTwoPorts();
  const all = generateFlows(state);
  await applyFlows({ target: 'unix:/nonexistent.mgmt', run, complete: true, applied }, all);
  assert.equal(applied.size, all.length);
  calls.length = 0;
  const moved = { ...state, ports: [state.ports[0], { ...state.ports[1], ofport: 7 }] };
  const r = await applyFlows({ target: 'unix:/nonexistent.mgmt', run, complete: true, applied }, generateFlows(moved));
  assert.deepEqual(
    calls.map((a) => a.find((x) => /-flows$/.test(x))),
    ['add-flows'],
  );
  const sent = bundles.at(-1)!;
  assert.equal(sent.length, r.added + r.removed);
  assert.ok(r.added > 0 && sent.length < all.length / 2, `${sent.length} of ${all.length} flows sent`);
  assert.ok(
    sent.every((l) => /output:7|in_port=[27]\b/.test(l)),
    sent.join('\n'),
  ); // its old and new ofport only
  // The same input again: nothing to send, still no dump.
  calls.length = 0;
  assert.deepEqual(await applyFlows({ target: 'unix:/nonexistent.mgmt', run, complete: true, applied }, generateFlows(moved)), {
    added: 0,
    removed: 0,
    deferredDeletes: 0,
  });
  assert.equal(calls.length, 0);
  // Unplugged: its flows go as exact, cookie-scoped deletes.
  const gone = await applyFlows(
    { target: 'unix:/nonexistent.mgmt', run, complete: true, applied },
    generateFlows({ ...moved, ports: [state.ports[0]] }),
  );
  assert.ok(gone.removed > 0);
  assert.ok(
    bundles
      .at(-1)!
      .filter((l) => l.startsWith('delete_strict'))
      .every((l) => /cookie=0x5a[0-9a-f]{14}\/-1$/.test(l)),
  );
});

test('a failed bundle forgets the applied set, so the next apply dumps the bridge', async () => {
  const applied = new AppliedFlows();
  applied.replace([]);
  const run: OfctlRunner = async (args) => {
    if (args.includes('--bundle')) throw new Error('timed out');
    return { code: 0, stdout: '' };
  };
  await assert.rejects(applyFlows({ target: 'unix:/nonexistent.mgmt', run, complete: true, applied }, generateFlows(oneHostTwoPorts())));
  assert.equal(applied.known, false);
});
