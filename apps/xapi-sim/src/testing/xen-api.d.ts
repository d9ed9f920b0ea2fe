// Xen Orchestra's `xen-api` connector ships no types; the tests use a few members of its client.
declare module 'xen-api' {
  export function createClient(opts: Record<string, unknown>): {
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    call(method: string, ...args: unknown[]): Promise<any>;
    callAsync(method: string, ...args: unknown[]): Promise<any>;
    getObjectByRef(ref: string, fallback?: unknown): any;
    readonly objectsFetched: Promise<void>;
    readonly objects: { all: Record<string, any> };
    readonly pool: { $ref: string };
  };
}
