/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, 1-63 characters each, 253 in all. */
export const HOSTNAME_PATTERN = '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';
const HOSTNAME_RE = new RegExp(HOSTNAME_PATTERN);
export const HOSTNAME_MAX = 253;

export function isHostname(v: string): boolean {
  return v.length <= HOSTNAME_MAX && HOSTNAME_RE.test(v);
}

/** The host name a VM gets when none is asked for: its name as one lower-case label (`Web_1.a` → `web-1-a`). */
export function hostnameFromName(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63)
    .replace(/-$/, '');
  return label || 'vm';
}
