import { XapiError, isXapiError } from '../errors/xapi-error.js';
import type { XapiClient } from './xapi-client.js';

// Per client (one client = one pool): method -> the parameter count (after the session) that pool accepts.
const known = new WeakMap<XapiClient, Map<string, number>>();

/**
 * Calls a message whose signature depends on the xapi release. `params` is the newest signature; older pools
 * take a prefix. The first call tries it whole; MESSAGE_PARAMETER_COUNT_MISMATCH [method, expected, received]
 * names the pool's arity, which is cached for the client, so each pool is probed once.
 */
export async function callVersioned<T>(
  client: XapiClient,
  method: string,
  params: unknown[],
  run: (params: unknown[]) => Promise<T>,
  /** fewest parameters that still mean what the caller asked (an option the pool cannot take is not dropped) */
  required = 0,
): Promise<T> {
  const cache = known.get(client) ?? new Map<string, number>();
  known.set(client, cache);
  const arity = cache.get(method) ?? params.length;
  if (arity < required) throw new XapiError('NOT_SUPPORTED_BY_POOL', [method, String(arity), String(required)], method);
  try {
    const result = await run(params.slice(0, arity));
    cache.set(method, arity);
    return result;
  } catch (e) {
    const expected = isXapiError(e, 'MESSAGE_PARAMETER_COUNT_MISMATCH') ? Number(e.params[1]) : NaN;
    if (!(expected >= 0 && expected < arity) || cache.has(method)) throw e;
    cache.set(method, expected);
    if (expected < required) throw new XapiError('NOT_SUPPORTED_BY_POOL', [method, String(expected), String(required)], method);
    return run(params.slice(0, expected));
  }
}

/** The cached arity of `method` for this client, if it was probed (for tests and diagnostics). */
export function knownArity(client: XapiClient, method: string): number | undefined {
  return known.get(client)?.get(method);
}
