/** Parses the pool URL given by the user; a bare host name means HTTPS. */
export function parseBaseUrl(url: string): URL {
  const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`unsupported XAPI URL scheme: ${u.protocol}`);
  return u;
}

/**
 * URL for another pool host given by its address (`HOST_IS_SLAVE` param or `host.address`), keeping the scheme,
 * port and credentials-free path of `base`. Bare IPv6 addresses are bracketed; `host:port` overrides the port.
 */
export function urlForHost(base: URL, address: string): URL {
  const u = new URL(base.href);
  const a = address.trim();
  if (a.startsWith('[')) u.host = a;
  else if ((a.match(/:/g) ?? []).length > 1) u.hostname = `[${a}]`;
  else u.host = a.includes(':') ? a : `${a}${u.port ? `:${u.port}` : ''}`;
  return u;
}

/** A key identifying a host URL (scheme + host + port). */
export function hostKey(u: URL): string {
  return `${u.protocol}//${u.host}`;
}
