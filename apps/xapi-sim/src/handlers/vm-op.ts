// Runs one VM operation: mark it in progress, reserve, wait out the latency, apply, always unmark.
import type { Value } from '../datamodel/defaults.js';
import { beginOperation, endOperation } from '../domain/vm-state.js';
import type { CallContext } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';

export interface OpSteps<T> {
  prepare?: () => T; // checks and reservations that must hold while the operation runs
  apply: (prepared: T) => Value | Promise<Value>;
  rollback?: (prepared: T | undefined) => void;
}

export async function runVmOp<T>(ctx: CallContext, vmRef: string, op: string, steps: OpSteps<T>): Promise<Value> {
  beginOperation(ctx.sim, vmRef, op, ctx.opRef);
  let prepared: T | undefined;
  let ok = false;
  try {
    prepared = steps.prepare?.();
    await ctx.delay();
    const result = await steps.apply(prepared as T);
    ok = true;
    // Real xapi returns from VM.start once the VIFs are plugged: so does the OVS fabric (SIM_NETWORK=ovs).
    if (ctx.sim.dataplane) await ctx.sim.dataplane.sync(vmRef).catch((err: Error) => fail('INTERNAL_ERROR', `plugging VIFs: ${err.message}`));
    return result;
  } finally {
    if (!ok) steps.rollback?.(prepared);
    endOperation(ctx.sim, vmRef, ctx.opRef);
  }
}
