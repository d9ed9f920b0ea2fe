import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Why the OVS end-to-end tests cannot run here; under CI=true a missing prerequisite is a failure, not a skip. */
export async function ovsSkipReason(): Promise<string | false> {
  let reason: string | false = false;
  if (process.getuid?.() !== 0) reason = 'needs root (network namespaces, veth, OVS)';
  for (const bin of ['ovs-vswitchd', 'ovsdb-server', 'ovs-vsctl', 'ovs-ofctl', 'ip', 'ethtool', 'nc', 'ping', 'python3']) {
    if (reason) break;
    await exec('sh', ['-c', `command -v ${bin}`]).catch(() => (reason = `${bin} not installed`));
  }
  if (reason && process.env.CI === 'true') throw new Error(`CI=true but the OVS end-to-end tests cannot run: ${reason}`);
  return reason;
}
