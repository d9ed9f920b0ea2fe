/** Which OpenFlow actions and matches need which Open vSwitch version (openvswitch/ovs NEWS; wave2.md §2). */

/** Features the generator may use, with the first OVS release that has each. */
export const OVS_FEATURE_SINCE = {
  /** `conjunction(id,k/n)` actions and the `conj_id` match (2.4.0). */
  conjunction: '2.4.0',
  /** `ct(commit,zone=…,table=…)`, `ct_state` (+new/+est/+rel/+rpl/+inv/+trk), `ct_mark`, `exec(load:…)` (2.5.0). */
  conntrack: '2.5.0',
  /** `ct(nat)` (2.6.0): not used (no NAT in security groups). */
  conntrackNat: '2.6.0',
  /** `ct_clear` (2.7.0): not used; one zone per network needs no second lookup in another zone. */
  ctClear: '2.7.0',
} as const;
export type OvsFeature = keyof typeof OVS_FEATURE_SINCE;

/** The oldest line we support (XCP-ng 8.2 ships 2.5.3): assumed when a host does not report its version. */
export const OLDEST_SUPPORTED_OVS = '2.5.3';

/** Parses `2.17.7`, `3.1.0`, `2.5.3-xcpng`… into numbers; undefined when it is not a version. */
export function parseOvsVersion(v: string | undefined): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v?.trim() ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function atLeast(a: [number, number, number], b: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/** Whether a host running `version` (unknown: OLDEST_SUPPORTED_OVS) has `feature`. */
export function ovsSupports(version: string | undefined, feature: OvsFeature): boolean {
  const have = parseOvsVersion(version) ?? parseOvsVersion(OLDEST_SUPPORTED_OVS)!;
  return atLeast(have, parseOvsVersion(OVS_FEATURE_SINCE[feature])!);
}
