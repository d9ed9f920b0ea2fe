/** One NIC as IPAM holds it: the guest matches it by MAC and configures it statically. */
export interface DriveNic {
  /** VIF device: the guest names the interface eth<device> */
  device: number;
  mac: string;
  ip: string;
  prefix: number;
  /** The guest's MTU: what the network carries inside its encapsulation */
  mtu: number;
  /** null: no default route through this NIC */
  gateway: string | null;
  dns: string[];
  /** the tenant network's id (OpenStack's network_id) */
  networkId: string;
}

const byDevice = (nics: DriveNic[]) => [...nics].sort((a, b) => a.device - b.device);

/** NoCloud `network-config`, version 2 (netplan's schema): each NIC matched by MAC, static address, routes and DNS. */
export function networkConfigV2(nics: DriveNic[]): Record<string, unknown> {
  const ethernets: Record<string, unknown> = {};
  for (const n of byDevice(nics)) {
    ethernets[`eth${n.device}`] = {
      match: { macaddress: n.mac.toLowerCase() },
      'set-name': `eth${n.device}`,
      addresses: [`${n.ip}/${n.prefix}`],
      mtu: n.mtu,
      ...(n.gateway ? { routes: [{ to: '0.0.0.0/0', via: n.gateway }] } : {}),
      ...(n.dns.length ? { nameservers: { addresses: n.dns } } : {}),
    };
  }
  return { version: 2, ethernets };
}

function netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

/** OpenStack `network_data.json` (what cloudbase-init and cloud-init's ConfigDrive read) for the same NICs. */
export function openstackNetworkData(nics: DriveNic[]): Record<string, unknown> {
  const sorted = byDevice(nics);
  const dns = [...new Set(sorted.flatMap((n) => n.dns))];
  return {
    links: sorted.map((n) => ({ id: `eth${n.device}`, type: 'phy', ethernet_mac_address: n.mac.toLowerCase(), mtu: n.mtu })),
    networks: sorted.map((n) => ({
      id: `network${n.device}`,
      type: 'ipv4',
      link: `eth${n.device}`,
      ip_address: n.ip,
      netmask: netmask(n.prefix),
      routes: n.gateway ? [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: n.gateway }] : [],
      network_id: n.networkId,
    })),
    services: dns.map((address) => ({ type: 'dns', address })),
  };
}
