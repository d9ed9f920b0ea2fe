// The flows we last made a bridge hold: a pass diffs against this instead of dumping every flow (issue 20).
import { cookieHex } from './cookie.js';
import { flowText } from './flow-text.js';
import type { Flow } from './types.js';

/** The bundle lines needed to turn our current flows into the desired ones. */
export interface FlowPatch {
  adds: string[];
  deletes: string[];
}

/** What OpenFlow identifies a flow by (an add with the same key replaces it). */
const flowKey = (f: Flow) => `table=${f.table},priority=${f.priority}${f.match ? `,${f.match}` : ''}`;

/**
 * Our belief of the bridge's flows under our cookie prefix. It is only as good as nothing else touching them:
 * the owner forgets it whenever that may be false (vswitchd restarted, a failed bundle, a reconnect) and
 * re-verifies against a dump periodically, so out-of-band changes are still repaired.
 */
export class AppliedFlows {
  private flows: Map<string, Flow> | undefined;

  /** True when a patch can be computed without a dump. */
  get known(): boolean {
    return this.flows !== undefined;
  }

  get size(): number {
    return this.flows?.size ?? 0;
  }

  forget(): void {
    this.flows = undefined;
  }

  /** Adds for flows missing or different, exact deletes for flows held but no longer desired; undefined when unknown. */
  patch(desired: Flow[]): FlowPatch | undefined {
    const held = this.flows;
    if (!held) return undefined;
    const adds: string[] = [];
    const wanted = new Set<string>();
    for (const f of desired) {
      const key = flowKey(f);
      wanted.add(key);
      const h = held.get(key);
      if (!h || h.actions !== f.actions || h.cookie !== f.cookie) adds.push(`add ${flowText(f)}`);
    }
    const deletes: string[] = [];
    // cookie=X/-1 makes the delete exact: a foreign flow can never match it.
    for (const [key, f] of held) if (!wanted.has(key)) deletes.push(`delete_strict ${key},cookie=${cookieHex(f.cookie)}/-1`);
    return { adds, deletes };
  }

  /** The bridge now holds exactly `desired` under our prefix. */
  replace(desired: Flow[]): void {
    this.flows = new Map(desired.map((f) => [flowKey(f), f]));
  }

  /** The adds of `desired` were applied, deletions deferred: held flows stay, desired ones overwrite. */
  merge(desired: Flow[]): void {
    if (!this.flows) return;
    for (const f of desired) this.flows.set(flowKey(f), f);
  }
}
