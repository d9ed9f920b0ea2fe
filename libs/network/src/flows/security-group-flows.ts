// Stateful security groups (issue 16; network.md §1.1 OVS firewall, wave2.md §3.3): conntrack zone = network (reg6).
import { parseIpv4Cidr } from '../cidr.js';
import { CookieKind, makeCookie } from './cookie.js';
import { ovsSupports } from './ovs-features.js';
import { portRangeMatches } from './port-range.js';
import { validateSecurityState } from './validate-security.js';
import type { FlowSecurityGroup, FlowSgRule, SecurityFlowState, SgDirection } from './security-group.types.js';
import type { Flow, HostFlowState, LocalPort } from './types.js';

/** Tables 20–22 (egress) and 41–49 (ingress), reserved for security groups by the base pipeline. */
export const SgTable = { EgressCt: 20, EgressRules: 21, EgressAccept: 22, IngressCt: 41, IngressRules: 42, IngressAccept: 43, Deliver: 49 } as const;

// Shadows the base anti-spoofing flow (100) and the base delivery (100): IPv4 now passes the firewall first.
const SPOOF_OK_PRIORITY = 105;
const DELIVER_IP_PRIORITY = 110;
const RULE_PRIORITY = 100;
const L2 = 30;
const ZONE = 'zone=NXM_NX_REG6[0..15]';
const NEW = 'ct_state=+new-est+trk';
const EST = 'ct_state=+est-rel-rpl+trk';

const shared = makeCookie(CookieKind.SecurityGroup, 0);
const groupCookie = (g: number) => makeCookie(CookieKind.SecurityGroup, g);

/** Per direction: the register naming our port, the peer's address field, the rules and accept tables. */
const DIR = {
  egress: { port: 'reg5', peer: 'nw_dst', rules: SgTable.EgressRules, accept: SgTable.EgressAccept, bit: 0 },
  ingress: { port: 'reg7', peer: 'nw_src', rules: SgTable.IngressRules, accept: SgTable.IngressAccept, bit: 1 },
} as const;

/** Conjunction id: kind (0 = a group's CIDR rules, 1 = one remote-group rule), key, direction. */
function conjId(kind: 0 | 1, key: number, dir: SgDirection): number {
  return ((kind << 31) | (key << 2) | (DIR[dir].bit << 1)) >>> 0;
}

/** The rule's protocol and destination ports as match strings (one per port block; `ip` for any protocol). */
function protocolMatches(r: FlowSgRule): string[] {
  if (r.protocol === 'any') return ['ip'];
  if (r.protocol === 'icmp') return ['icmp'];
  const ranges = r.portMin === undefined ? [] : portRangeMatches(r.portMin, r.portMax ?? r.portMin);
  return ranges.length ? ranges.map((v) => `${r.protocol},tp_dst=${v}`) : [r.protocol];
}

function cidrMatch(r: FlowSgRule, dir: SgDirection): string {
  if (!r.remoteCidr) return '';
  const { prefix } = parseIpv4Cidr(r.remoteCidr);
  return prefix === 0 ? '' : `,${DIR[dir].peer}=${r.remoteCidr}`;
}

/** Flows that do not depend on any rule: conntrack lookups, state verdicts, commits and revocation. */
function pipelineFlows(ct: boolean): Flow[] {
  const f = (table: number, priority: number, match: string, actions: string): Flow => ({ table, priority, cookie: shared, match, actions });
  const flows = [
    f(SgTable.EgressCt, 0, '', 'drop'),
    f(SgTable.EgressRules, 0, '', 'drop'),
    f(SgTable.EgressAccept, 0, '', `goto_table:${L2}`),
    f(SgTable.IngressCt, 0, '', 'drop'),
    f(SgTable.IngressRules, 0, '', 'drop'),
    f(SgTable.IngressAccept, 0, '', `goto_table:${SgTable.Deliver}`),
    f(SgTable.Deliver, 0, '', 'drop'),
  ];
  // Without conntrack the host cannot keep state: filtered ports get no IPv4 at all (fail closed).
  if (!ct) return flows;
  flows.push(
    f(SgTable.EgressCt, 100, 'ip', `ct(table=${SgTable.EgressRules},${ZONE})`),
    // Traffic between two local ports was tracked on egress, in the same zone: one lookup, one commit per host.
    f(SgTable.IngressCt, 100, 'ct_state=-trk,ip', `ct(table=${SgTable.IngressRules},${ZONE})`),
    f(SgTable.IngressCt, 90, 'ct_state=+trk,ip', `goto_table:${SgTable.IngressRules}`),
    f(SgTable.EgressAccept, 50, 'ct_state=+new+trk,ip', `ct(commit,${ZONE}),goto_table:${L2}`),
    f(SgTable.IngressAccept, 50, 'ct_state=+new+trk,ip', `ct(commit,${ZONE}),goto_table:${SgTable.Deliver}`),
  );
  for (const dir of ['egress', 'ingress'] as const) {
    const { rules, accept } = DIR[dir];
    flows.push(
      f(rules, 65000, 'ct_state=+inv+trk,ip', 'drop'),
      // ct_mark=1: a rule that allowed the connection is gone; both directions stay dropped until it expires.
      f(rules, 64900, 'ct_mark=0x1,ct_state=+trk,ip', 'drop'),
      f(rules, 64000, 'ct_mark=0,ct_state=+est+rpl+trk,ip', `goto_table:${accept}`),
      f(rules, 63900, 'ct_mark=0,ct_state=+rel-inv+trk,ip', `goto_table:${accept}`),
      // The original direction of a connection no rule allows any more: revoke it (Neutron's ovsfw scheme).
      f(rules, 10, `${EST},ip`, `ct(commit,${ZONE},exec(set_field:0x1->ct_mark))`),
    );
  }
  return flows;
}

/** Flows that put one local port behind the firewall. */
function portFlows(p: LocalPort, ct: boolean): Flow[] {
  const cookie = makeCookie(CookieKind.Port, p.key);
  const flows: Flow[] = [
    { table: 40, priority: DELIVER_IP_PRIORITY, cookie, match: `ip,reg7=${p.key}`, actions: `goto_table:${SgTable.IngressCt}` },
    { table: SgTable.Deliver, priority: 100, cookie, match: `reg7=${p.key}`, actions: `output:${p.ofport}` },
  ];
  if (p.ipv4 !== undefined) {
    const match = `ip,reg5=${p.key},dl_src=${p.mac},nw_src=${p.ipv4}`;
    flows.push({ table: 10, priority: SPOOF_OK_PRIORITY, cookie, match, actions: `goto_table:${SgTable.EgressCt}` });
  }
  // A new connection to a local port is committed by that port's ingress stage, once both sides allowed it.
  if (ct)
    flows.push({
      table: SgTable.EgressAccept,
      priority: 100,
      cookie,
      match: `ct_state=+new+trk,ip,reg6=${p.networkId},dl_dst=${p.mac}`,
      actions: `goto_table:${L2}`,
    });
  return flows;
}

/** Conjunction dimension flows by table|match: one flow each, carrying every conjunction that uses it. */
type Dimensions = Map<string, { table: number; cookie: bigint; match: string; conj: Set<string> }>;

/** Rule flows of one group in one direction: conjunctions over (its ports) × (rule matches), never their product. */
function groupFlows(
  g: FlowSecurityGroup,
  dir: SgDirection,
  ports: LocalPort[],
  groups: Map<number, FlowSecurityGroup>,
  networks: Set<number>,
  dims: Dimensions,
): Flow[] {
  const { port, peer, rules: table, accept } = DIR[dir];
  const cookie = groupCookie(g.key);
  const flows: Flow[] = [];
  const conj = (id: number, k: number, n: number) => `conjunction(${id},${k}/${n})`;
  const dim = (match: string, ...actions: string[]) => {
    const key = `${table}|${match}`;
    const seen = dims.get(key) ?? { table, cookie, match, conj: new Set<string>() };
    dims.set(key, seen);
    if (cookie < seen.cookie) seen.cookie = cookie;
    for (const a of actions) seen.conj.add(a);
  };
  /**
   * One conjunction with the ports as dimension 1 and `more` after it. Its conj_id flows admit a new connection and
   * re-admit an established one's original direction (ovs-fields(7): the conj_id lookup matches other fields too).
   */
  const conjunctive = (kind: 0 | 1, key: number, more: string[][]) => {
    const id = conjId(kind, key, dir);
    const n = more.length + 1;
    for (const p of ports) dim(`ip,${port}=${p.key}`, conj(id, 1, n));
    more.forEach((d, i) => new Set(d).forEach((m) => dim(m, conj(id, i + 2, n))));
    for (const state of [NEW, EST])
      flows.push({ table, priority: RULE_PRIORITY, cookie, match: `conj_id=${id},${state},ip`, actions: `goto_table:${accept}` });
  };
  const mine = g.rules.filter((r) => r.direction === dir);
  const cidrRules = mine.filter((r) => r.remoteGroup === undefined);
  if (cidrRules.length) conjunctive(0, g.key, [cidrRules.flatMap((r) => protocolMatches(r).map((m) => `${m}${cidrMatch(r, dir)}`))]);
  for (const r of mine.filter((x) => x.remoteGroup !== undefined)) {
    const members = (groups.get(r.remoteGroup!)?.members ?? []).filter((m) => networks.has(m.networkId));
    if (!members.length) continue; // nobody to allow yet: the rule admits nothing
    conjunctive(1, r.key, [members.map((m) => `ip,reg6=${m.networkId},${peer}=${m.ipv4}`), protocolMatches(r)]);
  }
  return flows;
}

/** The dimension flows, each with its conjunctions in a stable order. */
function dimensionFlows(dims: Dimensions): Flow[] {
  return [...dims.values()].map((d) => ({
    table: d.table,
    priority: RULE_PRIORITY,
    cookie: d.cookie,
    match: d.match,
    actions: [...d.conj].sort().join(','),
  }));
}

/**
 * The security-group flows of one host (empty without `state.security`). Every local port is filtered: IPv4 in and
 * out passes conntrack in its network's zone; established/related pass, invalid drops, new only by a rule, then commit.
 */
export function securityGroupFlows(state: HostFlowState): Flow[] {
  const sec: SecurityFlowState | undefined = state.security;
  if (!sec) return [];
  validateSecurityState(sec);
  const ct = ovsSupports(sec.ovsVersion, 'conntrack') && ovsSupports(sec.ovsVersion, 'conjunction');
  const groups = new Map(sec.groups.map((g) => [g.key, g]));
  const networks = new Set(state.networks.map((n) => n.id));
  const portsOf = new Map<number, LocalPort[]>();
  const byKey = new Map(state.ports.map((p) => [p.key, p]));
  for (const pg of sec.portGroups) {
    const p = byKey.get(pg.portKey);
    if (!p) continue;
    for (const g of new Set(pg.groups)) portsOf.set(g, (portsOf.get(g) ?? []).concat(p));
  }
  const flows = pipelineFlows(ct);
  for (const p of state.ports) flows.push(...portFlows(p, ct));
  if (!ct) return flows;
  const dims: Dimensions = new Map();
  for (const [key, ports] of portsOf) {
    const g = groups.get(key);
    if (!g) continue;
    ports.sort((a, b) => a.key - b.key);
    for (const dir of ['egress', 'ingress'] as const) flows.push(...groupFlows(g, dir, ports, groups, networks, dims));
  }
  return [...flows, ...dimensionFlows(dims)];
}
