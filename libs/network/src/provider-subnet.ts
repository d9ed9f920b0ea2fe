/** Provider network addressing (issue 16): any IPv4 subnet, an operator's gateway and allocation pools inside it. */
import { intToIp, ipToInt } from './cidr.js';

export interface ProviderSubnetInput {
  cidr: string;
  gateway: string;
  allocationPools: { start: string; end: string }[];
}

/** One allocation pool as integers, first and last inclusive. */
export interface PoolRange {
  first: number;
  last: number;
}

export interface ProviderSubnet {
  network: number;
  prefix: number;
  broadcast: number;
  pools: PoolRange[];
  /** Addresses the pools hold in all. */
  capacity: number;
}

export interface FieldProblem {
  path: string;
  message: string;
}

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** Parses a provider CIDR (any IPv4 network address, /8 to /30). @throws RangeError naming what is wrong. */
export function parseProviderCidr(cidr: string): { network: number; prefix: number; broadcast: number } {
  const [ip, p, extra] = cidr.split('/');
  if (!ip || p === undefined || extra !== undefined || !/^\d{1,2}$/.test(p)) throw new RangeError(`${cidr} is not a CIDR`);
  const prefix = Number(p);
  if (prefix < 8 || prefix > 30) throw new RangeError(`${cidr}: prefix must be /8 to /30`);
  const addr = ipToInt(ip);
  const network = (addr & mask(prefix)) >>> 0;
  if (network !== addr) throw new RangeError(`${cidr}: host bits are set (did you mean ${intToIp(network)}/${prefix}?)`);
  return { network, prefix, broadcast: network + 2 ** (32 - prefix) - 1 };
}

function address(value: string, path: string, problems: FieldProblem[]): number | undefined {
  try {
    return ipToInt(value);
  } catch {
    problems.push({ path, message: `${value} is not an IPv4 address` });
    return undefined;
  }
}

/**
 * Checks a provider subnet as Neutron checks one: the CIDR is a network address (/8 to /30), the gateway and every
 * pool lie inside it (never its network or broadcast address), pools run upwards, never overlap and never hold the
 * gateway. Answers the parsed subnet, or every problem found (each with the field's path).
 */
export function checkProviderSubnet(input: ProviderSubnetInput): { subnet?: ProviderSubnet; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  let parsed: { network: number; prefix: number; broadcast: number };
  try {
    parsed = parseProviderCidr(input.cidr);
  } catch (err) {
    const message = (err as Error).message;
    return { problems: [{ path: 'cidr', message: message.endsWith('is not an IPv4 address') ? `${input.cidr} is not a CIDR` : message }] };
  }
  const { network, prefix, broadcast } = parsed;
  const usable = (n: number) => n > network && n < broadcast;
  const gateway = address(input.gateway, 'gateway', problems);
  if (gateway !== undefined && !usable(gateway))
    problems.push({ path: 'gateway', message: `${input.gateway} is not a host address of ${input.cidr}` });
  const pools: (PoolRange & { index: number })[] = [];
  input.allocationPools.forEach((pool, i) => {
    const first = address(pool.start, `allocationPools.${i}.start`, problems);
    const last = address(pool.end, `allocationPools.${i}.end`, problems);
    if (first === undefined || last === undefined) return;
    if (!usable(first)) problems.push({ path: `allocationPools.${i}.start`, message: `${pool.start} is not a host address of ${input.cidr}` });
    if (!usable(last)) problems.push({ path: `allocationPools.${i}.end`, message: `${pool.end} is not a host address of ${input.cidr}` });
    if (first > last) problems.push({ path: `allocationPools.${i}`, message: `${pool.start} comes after ${pool.end}` });
    else if (usable(first) && usable(last)) {
      pools.push({ first, last, index: i });
      if (gateway !== undefined && gateway >= first && gateway <= last)
        problems.push({ path: `allocationPools.${i}`, message: `holds the gateway ${input.gateway}` });
    }
  });
  const sorted = [...pools].sort((a, b) => a.first - b.first);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.first <= a.last) problems.push({ path: `allocationPools.${b.index}`, message: `overlaps allocationPools.${a.index}` });
  }
  if (problems.length) return { problems };
  const ranges = sorted.map(({ first, last }) => ({ first, last }));
  return { subnet: { network, prefix, broadcast, pools: ranges, capacity: ranges.reduce((n, r) => n + r.last - r.first + 1, 0) }, problems };
}
