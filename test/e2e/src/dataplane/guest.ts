// Runs commands inside the simulator's VM namespaces (`xsim-<VM uuid>`), as a tenant would inside its guest.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface GuestVm {
  id: string;
  name: string;
  xapiUuid: string;
  hostId: string;
  /** The XAPI uuid of the host it runs on (hostId is ours, as GET /v1/hosts lists it). */
  hostXapiUuid: string;
  nics: { device: number; mac: string; ip: string; networkId: string }[];
}

const netns = (vm: GuestVm) => `xsim-${vm.xapiUuid}`;

/** Runs a command in the guest; resolves stdout, rejects on a non-zero exit. */
export async function inGuest(vm: GuestVm, ...cmd: string[]): Promise<string> {
  return (await exec('ip', ['netns', 'exec', netns(vm), ...cmd], { timeout: 20_000 })).stdout;
}

/** True when `count` echo requests get an answer (ping exits 0 when any reply came back). */
export async function pings(vm: GuestVm, ip: string, opts: { count?: number; source?: string } = {}): Promise<boolean> {
  const args = ['ping', '-n', '-q', '-c', String(opts.count ?? 2), '-i', '0.2', '-W', '1', ...(opts.source ? ['-I', opts.source] : []), ip];
  return inGuest(vm, ...args).then(
    () => true,
    () => false,
  );
}

/** True when a TCP connection to ip:port is accepted within 2 s. */
export async function tcpConnects(vm: GuestVm, ip: string, port: number): Promise<boolean> {
  return inGuest(vm, 'nc', '-z', '-w', '2', ip, String(port)).then(
    () => true,
    () => false,
  );
}

/** Starts a TCP listener in the guest; kill the returned process to stop it. */
export function listen(vm: GuestVm, port: number): ChildProcess {
  return spawn('ip', ['netns', 'exec', netns(vm), 'nc', '-lk', String(port)], { stdio: 'ignore' });
}

/** The guest's neighbour entry for `ip` (lladdr), or undefined. */
export async function neighbour(vm: GuestVm, ip: string): Promise<string | undefined> {
  const out = await inGuest(vm, 'ip', 'neigh', 'show', ip, 'dev', 'eth0');
  return /lladdr ([0-9a-f:]{17})/.exec(out)?.[1];
}

/** Sends a forged ARP reply from the guest: "`claimIp` is at `claimMac`", to `to` (raw AF_PACKET socket). */
export async function forgeArpReply(vm: GuestVm, claimIp: string, claimMac: string, to: { ip: string; mac: string }): Promise<void> {
  const script = `
import socket, struct, sys
claim_ip, claim_mac, to_ip, to_mac = sys.argv[1:5]
mac = lambda m: bytes.fromhex(m.replace(':', ''))
ip = lambda a: socket.inet_aton(a)
frame = mac(to_mac) + mac(claim_mac) + struct.pack('!H', 0x0806)
frame += struct.pack('!HHBBH', 1, 0x0800, 6, 4, 2) + mac(claim_mac) + ip(claim_ip) + mac(to_mac) + ip(to_ip)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
for _ in range(3):
    s.send(frame)
`;
  await inGuest(vm, 'python3', '-c', script, claimIp, claimMac, to.ip, to.mac);
}
