import { AsyncLocalStorage } from 'node:async_hooks';

/** What follows a request (and the jobs it causes) through the code, for its log lines; code never reads it to decide. */
export interface RequestContext {
  requestId: string;
  tenantId?: string;
  operationId?: string;
  apiKeyId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const requestContext = {
  run<T>(ctx: RequestContext, fn: () => T): T {
    return storage.run(ctx, fn);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
  /** Adds fields to the current context (e.g. the tenant once the caller is authenticated). */
  assign(fields: Partial<RequestContext>): void {
    const store = storage.getStore();
    if (store) Object.assign(store, fields);
  },
};
