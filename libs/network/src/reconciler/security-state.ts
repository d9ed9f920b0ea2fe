// Pure: the pool's security groups (DB view) as one host's flow inputs, for the ports bound on that host.
import type { FlowSecurityGroup, SecurityFlowState } from '../flows/security-group.types.js';
import type { DataplaneNic, DataplaneSecurity } from './dataplane.types.js';

/**
 * Groups with their rules and every member address in the pool (remote-group rules need members on other hosts too),
 * and the groups of the NICs bound here.
 */
export function securityFlowState(
  sec: DataplaneSecurity,
  nics: DataplaneNic[],
  local: DataplaneNic[],
  ovsVersion: string | undefined,
): SecurityFlowState {
  const byNic = new Map(nics.map((n) => [`${n.vmId}/${n.device}`, n]));
  const members = new Map<number, FlowSecurityGroup['members']>();
  const groupsOf = new Map<string, number[]>();
  for (const m of sec.memberships) {
    const nic = byNic.get(`${m.vmId}/${m.device}`);
    if (!nic) continue;
    members.set(m.groupKey, [...(members.get(m.groupKey) ?? []), { networkId: nic.network.key, ipv4: nic.ip }]);
    groupsOf.set(`${m.vmId}/${m.device}`, [...(groupsOf.get(`${m.vmId}/${m.device}`) ?? []), m.groupKey]);
  }
  const groups: FlowSecurityGroup[] = sec.groups.map((g) => ({
    key: g.key,
    members: members.get(g.key) ?? [],
    rules: g.rules.map((r) => ({
      key: r.key,
      direction: r.direction,
      protocol: r.protocol,
      ...(r.portMin === null ? {} : { portMin: r.portMin, portMax: r.portMax ?? r.portMin }),
      ...(r.remoteGroupKey === null ? { remoteCidr: r.remoteCidr ?? '0.0.0.0/0' } : { remoteGroup: r.remoteGroupKey }),
    })),
  }));
  const portGroups = local.map((n) => ({ portKey: n.portKey, groups: groupsOf.get(`${n.vmId}/${n.device}`) ?? [] }));
  return { groups, portGroups, ovsVersion };
}
