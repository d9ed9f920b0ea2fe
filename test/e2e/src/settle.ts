import assert from 'node:assert/strict';
import { eventually } from '@xenplane/testing';
import type { client } from './stack.js';

/** Asserts a 202 and waits for its operation to end `want` (default succeeded); answers the 202's body. */
export function settler(me: ReturnType<typeof client>, timeoutMs = 60_000) {
  return async (r: { status: number; body: any }, want = 'succeeded') => {
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const done = await eventually(
      'operation',
      async () => {
        const o = (await me('GET', `/v1/operations/${r.body.operation.id}`)).body;
        return o.status === 'succeeded' || o.status === 'failed' ? o : undefined;
      },
      timeoutMs,
    );
    assert.equal(done.status, want, JSON.stringify(done));
    return r.body;
  };
}
