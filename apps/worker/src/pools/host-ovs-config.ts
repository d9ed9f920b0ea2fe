// Where a host's Open vSwitch is reached, as the operator (or the simulator) publishes it in XAPI host other_config.
import { isIP } from 'node:net';
import type { ObservedHost } from '@xenplane/core';

/** host other_config keys; e.g. `xe host-param-set uuid=… other-config:xenplane-ovsdb=ssl:10.0.0.5:6640`. */
export const HOST_OVS_KEYS = {
  ovsdb: 'xenplane-ovsdb',
  openflow: 'xenplane-openflow',
  bridge: 'xenplane-bridge',
  tunnelIp: 'xenplane-tunnel-ip',
} as const;

const REMOTE = /^(unix:\/\S+|(tcp|ssl):\[?[A-Za-z0-9.:-]+\]?:\d{1,5})$/;
const BRIDGE = /^[A-Za-z0-9_.-]{1,15}$/;

/** The host's data plane columns; a malformed value is treated as absent (that host is simply not programmed). */
export function hostOvsConfig(
  otherConfig: Record<string, string>,
  address: string,
): Pick<ObservedHost, 'ovsdbTarget' | 'openflowTarget' | 'bridge' | 'tunnelIp'> {
  const ovsdb = otherConfig[HOST_OVS_KEYS.ovsdb];
  const openflow = otherConfig[HOST_OVS_KEYS.openflow];
  const bridge = otherConfig[HOST_OVS_KEYS.bridge];
  const tunnelIp = otherConfig[HOST_OVS_KEYS.tunnelIp] ?? address;
  const managed = ovsdb !== undefined && openflow !== undefined && REMOTE.test(ovsdb) && REMOTE.test(openflow);
  return {
    ovsdbTarget: managed ? ovsdb : null,
    openflowTarget: managed ? openflow : null,
    bridge: bridge !== undefined && BRIDGE.test(bridge) ? bridge : null,
    tunnelIp: isIP(tunnelIp) ? tunnelIp : null,
  };
}
