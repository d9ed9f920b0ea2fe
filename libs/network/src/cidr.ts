/** IPv4 subnet arithmetic for tenant networks (API.md: one private IPv4 subnet, /16 to /29). */
export interface Subnet {
  network: number;
  prefix: number;
  broadcast: number;
  gateway: number;
  /** Usable addresses for VMs: all but network, gateway (first host) and broadcast. */
  capacity: number;
}

const PRIVATE_RANGES: [number, number][] = [
  [ipToInt('10.0.0.0'), 8],
  [ipToInt('172.16.0.0'), 12],
  [ipToInt('192.168.0.0'), 16],
];

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new RangeError(`${ip} is not an IPv4 address`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/p`; the address must be the network address and the subnet private, /16 to /29. */
export function parseTenantCidr(cidr: string): Subnet {
  const [ip, p, extra] = cidr.split('/');
  if (!ip || p === undefined || extra !== undefined || !/^\d{1,2}$/.test(p)) throw new RangeError(`${cidr} is not a CIDR`);
  const prefix = Number(p);
  if (prefix < 16 || prefix > 29) throw new RangeError(`${cidr}: prefix must be /16 to /29`);
  const addr = ipToInt(ip);
  const network = (addr & mask(prefix)) >>> 0;
  if (network !== addr) throw new RangeError(`${cidr}: host bits are set (did you mean ${intToIp(network)}/${prefix}?)`);
  const isPrivate = PRIVATE_RANGES.some(([base, bits]) => prefix >= bits && (network & mask(bits)) >>> 0 === base);
  if (!isPrivate) throw new RangeError(`${cidr} is not inside a private range (10/8, 172.16/12, 192.168/16)`);
  const size = 2 ** (32 - prefix);
  return { network, prefix, broadcast: network + size - 1, gateway: network + 1, capacity: size - 3 };
}

/** The `index`-th address handed to VMs (0-based), skipping network and gateway. */
export function hostAddress(subnet: Subnet, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= subnet.capacity) throw new RangeError(`index ${index} outside the subnet`);
  return intToIp(subnet.network + 2 + index);
}

/** Parses any IPv4 CIDR (`/0` to `/32`, e.g. a security-group peer); the address must be the network address. */
export function parseIpv4Cidr(cidr: string): { network: number; prefix: number } {
  const [ip, p, extra] = cidr.split('/');
  if (!ip || p === undefined || extra !== undefined || !/^\d{1,2}$/.test(p) || Number(p) > 32) throw new RangeError(`${cidr} is not an IPv4 CIDR`);
  const prefix = Number(p);
  const addr = ipToInt(ip);
  const network = (addr & mask(prefix)) >>> 0;
  if (network !== addr) throw new RangeError(`${cidr}: host bits are set (did you mean ${intToIp(network)}/${prefix}?)`);
  return { network, prefix };
}
