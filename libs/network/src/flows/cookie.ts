/** Cookie layout (network.md §4.2): owner 0x5a in bits 63..56, kind in 55..48, object key in 47..0. */

/** Owner byte shifted into place: every flow we install carries it. */
export const OWNER_COOKIE = 0x5an << 56n;
/** Mask selecting the owner byte, for scoped dumps (`cookie=OWNER_COOKIE/OWNER_MASK`). */
export const OWNER_MASK = 0xffn << 56n;

/** What a flow belongs to; lets a reconciler delete one object's flows with `cookie=X/-1`. */
export const CookieKind = { Base: 1, Network: 2, Port: 3, Tunnel: 4, SecurityGroup: 5 } as const;
export type CookieKind = (typeof CookieKind)[keyof typeof CookieKind];

const KEY_LIMIT = 1n << 48n;

/** Builds our cookie for an object of `kind` with numeric `key` (< 2^48). */
export function makeCookie(kind: CookieKind, key: number | bigint): bigint {
  const k = BigInt(key);
  if (k < 0n || k >= KEY_LIMIT) throw new RangeError(`cookie key ${key} outside 0..2^48-1`);
  return OWNER_COOKIE | (BigInt(kind) << 48n) | k;
}

/** True when `cookie` carries our owner byte. */
export function isOwnCookie(cookie: bigint): boolean {
  return (cookie & OWNER_MASK) === OWNER_COOKIE;
}

/** Renders a cookie as OVS prints it with a fixed width, e.g. `0x5a03000000000007`. */
export function cookieHex(cookie: bigint): string {
  return `0x${cookie.toString(16).padStart(16, '0')}`;
}

/** The canary's cookie: a fixed, recognisable value ("base" kind, key 0xca4a7). */
export const CANARY_COOKIE = makeCookie(CookieKind.Base, 0xca4a7);
/** The canary lives alone in this table; its absence means vswitchd lost our flows. */
export const CANARY_TABLE = 99;
