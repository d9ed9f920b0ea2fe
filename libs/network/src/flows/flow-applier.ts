import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedFlows, type FlowPatch } from './applied-flows.js';
import { CANARY_COOKIE, CANARY_TABLE, OWNER_COOKIE, OWNER_MASK, cookieHex, isOwnCookie } from './cookie.js';
import { flowText } from './flow-text.js';
import { baseArgs, execOfctl, type OfctlOptions } from './ofctl.js';
import type { Flow } from './types.js';

/** What an apply did. `deferredDeletes` > 0 only when the desired state was not complete. */
export interface ApplyResult {
  added: number;
  removed: number;
  deferredDeletes: number;
}

export type { FlowPatch };

/** Our flows as `ovs-ofctl dump-flows --no-stats` prints them, scoped to our cookie prefix. */
export async function dumpOwnFlows(opts: OfctlOptions): Promise<string[]> {
  const run = opts.run ?? execOfctl(opts);
  const scope = `cookie=${cookieHex(OWNER_COOKIE)}/${cookieHex(OWNER_MASK)}`;
  const { stdout } = await run([...baseArgs(opts), '--no-stats', 'dump-flows', opts.target, scope]);
  return stdout
    .split('\n')
    .filter((l) => l.includes('cookie='))
    .map((l) => l.trim());
}

const DIFF_LINE = /^([-+])(.*) cookie=(0x[0-9a-f]+) actions=(.*)$/;

/** Turns `diff-flows actual desired` output into bundle lines; a changed flow is just re-added. */
export function parseFlowDiff(diff: string): FlowPatch {
  const adds: string[] = [];
  const gone = new Map<string, string>();
  const addedKeys = new Set<string>();
  for (const line of diff.split('\n').filter(Boolean)) {
    const m = DIFF_LINE.exec(line);
    if (!m) throw new Error(`unexpected diff-flows line: ${line}`);
    const [, sign, key, cookie, actions] = m as unknown as [string, string, string, string, string];
    if (!isOwnCookie(BigInt(cookie))) throw new Error(`diff touches a foreign cookie: ${line}`);
    if (sign === '+') {
      adds.push(`add ${key} cookie=${cookie} actions=${actions}`);
      addedKeys.add(key);
    } else {
      // cookie=X/-1 makes the delete exact: a foreign flow can never match it.
      gone.set(key, `delete_strict ${key} cookie=${cookie}/-1`);
    }
  }
  // An add with the same table+priority+match replaces the old flow inside the bundle; no delete needed.
  const deletes = [...gone].filter(([key]) => !addedKeys.has(key)).map(([, line]) => line);
  return { adds, deletes };
}

/** Computes the patch from our dumped flows to `flows` (ovs-ofctl normalises both sides). */
export async function planFlows(opts: OfctlOptions, flows: Flow[]): Promise<FlowPatch> {
  const foreign = flows.find((f) => !isOwnCookie(f.cookie));
  if (foreign) throw new Error(`refusing a flow without our cookie prefix: ${flowText(foreign)}`);
  const run = opts.run ?? execOfctl(opts);
  const own = await dumpOwnFlows(opts);
  // Nothing of ours on the bridge (a new host, or vswitchd restarted): everything is an add, no diff to compute.
  if (own.length === 0) return { adds: flows.map((f) => `add ${flowText(f)}`), deletes: [] };
  const dir = await mkdtemp(join(tmpdir(), 'xp-flows-'));
  try {
    const actual = join(dir, 'actual');
    const desired = join(dir, 'desired');
    await writeFile(actual, `${own.join('\n')}\n`);
    await writeFile(desired, `${flows.map(flowText).join('\n')}\n`);
    const { stdout } = await run([...baseArgs(opts), 'diff-flows', actual, desired]);
    return parseFlowDiff(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** How an apply learns what the bridge holds. */
export interface ApplyOptions extends OfctlOptions {
  /** Must be `true` for deletions (see applyFlows). */
  complete: boolean;
  /** The last applied flow set: used instead of a dump when known, and kept up to date. */
  applied?: AppliedFlows;
  /** Dump and diff even when `applied` is known (a periodic verify, or after a possible out-of-band change). */
  verify?: boolean;
}

/**
 * Makes the bridge's flows under our cookie prefix equal to `flows`, atomically.
 *
 * Why a cookie-scoped diff + `--bundle add-flows` and not `replace-flows` (network.md §2.2): replace-flows
 * would delete every flow missing from the file, including xapi's cookie=0/1 flows on a shared bridge.
 * The patch is one OpenFlow bundle: it applies whole or not at all. Nothing is sent when nothing differs.
 * With a known `applied` set and no `verify`, the diff is against it (no dump): a changed port sends only its flows.
 *
 * @param opts.complete must be `true` for deletions: a partial desired state (e.g. after a restart,
 *   before every input is loaded) only adds/updates and reports the deletions it skipped.
 */
export async function applyFlows(opts: ApplyOptions, flows: Flow[]): Promise<ApplyResult> {
  const { applied } = opts;
  const cached = opts.verify ? undefined : applied?.patch(flows);
  const plan = cached ?? (await planFlows(opts, flows));
  const deletes = opts.complete === true ? plan.deletes : [];
  const result = { added: plan.adds.length, removed: deletes.length, deferredDeletes: plan.deletes.length - deletes.length };
  if (plan.adds.length > 0 || deletes.length > 0) {
    try {
      await sendBundle(opts, [...deletes, ...plan.adds]);
    } catch (err) {
      applied?.forget(); // a timed-out bundle may still have landed: verify next time
      throw err;
    }
  }
  if (result.deferredDeletes === 0) applied?.replace(flows);
  else if (cached) applied?.merge(flows);
  else applied?.forget(); // the dump's leftovers are not known as flows: the next pass dumps again
  return result;
}

async function sendBundle(opts: OfctlOptions, lines: string[]): Promise<void> {
  const run = opts.run ?? execOfctl(opts);
  const dir = await mkdtemp(join(tmpdir(), 'xp-flows-'));
  try {
    const patch = join(dir, 'patch');
    await writeFile(patch, `${lines.join('\n')}\n`);
    await run([...baseArgs(opts), '--bundle', 'add-flows', opts.target, patch]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when our canary flow is on the bridge; false means vswitchd lost our flows (restart/flush). */
export async function checkCanary(opts: OfctlOptions): Promise<boolean> {
  const run = opts.run ?? execOfctl(opts);
  const match = `table=${CANARY_TABLE},cookie=${cookieHex(CANARY_COOKIE)}/-1`;
  const { stdout } = await run([...baseArgs(opts), '--no-stats', 'dump-flows', opts.target, match]);
  return stdout.split('\n').some((l) => l.includes(`cookie=${cookieHex(CANARY_COOKIE)}`));
}
