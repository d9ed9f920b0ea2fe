// Test fixtures for security-group flows; not part of the public API.
import { oneHostTwoPorts } from './flow-fixtures.js';
import type { FlowSecurityGroup } from './security-group.types.js';
import type { HostFlowState } from './types.js';

/** A tenant's `default` group: ingress only from its own members, all egress. */
export function defaultGroup(key: number, ruleKey: number, members: FlowSecurityGroup['members']): FlowSecurityGroup {
  return {
    key,
    members,
    rules: [
      { key: ruleKey, direction: 'ingress', protocol: 'any', remoteGroup: key },
      { key: ruleKey + 1, direction: 'egress', protocol: 'any', remoteCidr: '0.0.0.0/0' },
    ],
  };
}

/** Port 1 in "web" (http from anywhere, 8000-8099 from the subnet, anything from "default"); port 2 in "default". */
export function webAndDefault(ovsVersion?: string): HostFlowState {
  const base = oneHostTwoPorts();
  const web: FlowSecurityGroup = {
    key: 1,
    members: [{ networkId: 1, ipv4: '10.0.0.2' }],
    rules: [
      { key: 1, direction: 'ingress', protocol: 'tcp', portMin: 80, portMax: 80, remoteCidr: '0.0.0.0/0' },
      { key: 2, direction: 'ingress', protocol: 'tcp', portMin: 8000, portMax: 8099, remoteCidr: '10.0.0.0/24' },
      { key: 3, direction: 'ingress', protocol: 'any', remoteGroup: 2 },
      { key: 4, direction: 'egress', protocol: 'any', remoteCidr: '0.0.0.0/0' },
    ],
  };
  return {
    ...base,
    security: {
      groups: [web, defaultGroup(2, 5, [{ networkId: 1, ipv4: '10.0.0.3' }])],
      portGroups: [
        { portKey: 1, groups: [1] },
        { portKey: 2, groups: [2] },
      ],
      ovsVersion,
    },
  };
}
