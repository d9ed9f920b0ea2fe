import { ipToInt, parseIpv4Cidr } from '../cidr.js';
import { portRangeMatches } from './port-range.js';
import type { SecurityFlowState } from './security-group.types.js';

function fail(msg: string): never {
  throw new RangeError(`security state: ${msg}`);
}

// Conjunction ids carry a key in 29 bits (security-group-flows.ts conjId).
const KEY_MAX = 2 ** 29 - 1;

/** Rejects security input that would become wrong flows: a bad rule must never open more than it says. */
export function validateSecurityState(sec: SecurityFlowState): void {
  const groups = new Set<number>();
  const rules = new Set<number>();
  for (const g of sec.groups) {
    if (!Number.isInteger(g.key) || g.key < 1 || g.key > KEY_MAX) fail(`group key ${g.key} outside 1..${KEY_MAX}`);
    if (groups.has(g.key)) fail(`group key ${g.key} appears twice`);
    groups.add(g.key);
    for (const m of g.members) ipToInt(m.ipv4);
    for (const r of g.rules) {
      if (!Number.isInteger(r.key) || r.key < 1 || r.key > KEY_MAX) fail(`rule key ${r.key} outside 1..${KEY_MAX}`);
      if (rules.has(r.key)) fail(`rule key ${r.key} appears twice`);
      rules.add(r.key);
      if ((r.remoteCidr === undefined) === (r.remoteGroup === undefined)) fail(`rule ${r.key} needs exactly one of remoteCidr, remoteGroup`);
      if (r.remoteCidr !== undefined) parseIpv4Cidr(r.remoteCidr);
      const ported = r.protocol === 'tcp' || r.protocol === 'udp';
      if (!ported && (r.portMin !== undefined || r.portMax !== undefined)) fail(`rule ${r.key}: ports need tcp or udp`);
      if (r.portMin !== undefined) portRangeMatches(r.portMin, r.portMax ?? r.portMin);
      else if (r.portMax !== undefined) fail(`rule ${r.key}: portMax without portMin`);
    }
  }
}
