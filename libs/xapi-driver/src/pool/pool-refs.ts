import { isXapiError } from '../errors/xapi-error.js';

/**
 * Refs of things that do not change per operation (a template, a network, a host, the default SR), looked up once per
 * pool connection. A ref is valid while its object lives, so a call refused with HANDLE_INVALID forgets it and looks
 * again once (`using`); nothing else can make it wrong.
 */
export class PoolRefs {
  private readonly known = new Map<string, Promise<string>>();

  /** The ref under `key`, looked up with `lookup` the first time (a failed look-up is not kept). */
  get(key: string, lookup: () => Promise<string>): Promise<string> {
    let ref = this.known.get(key);
    if (!ref) {
      ref = lookup();
      this.known.set(key, ref);
      ref.catch(() => this.known.delete(key));
    }
    return ref;
  }

  forget(key: string): void {
    this.known.delete(key);
  }

  /** Runs `fn` with the ref under `key`; when xapi no longer knows that ref, looks it up again and runs it once more. */
  async using<T>(key: string, lookup: () => Promise<string>, fn: (ref: string) => Promise<T>): Promise<T> {
    const ref = await this.get(key, lookup);
    try {
      return await fn(ref);
    } catch (e) {
      if (!isXapiError(e, 'HANDLE_INVALID') || !e.params.includes(ref)) throw e;
      this.forget(key);
      return fn(await this.get(key, lookup));
    }
  }
}
