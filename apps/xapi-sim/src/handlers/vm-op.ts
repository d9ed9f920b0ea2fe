// Runs one VM operation: mark it in progress, reserve, wait out the latency, apply, always unmark.
import type { Value } from '../datamodel/defaults.js';
import { beginOperation, endOperation } from '../domain/vm-state.js';
import type { CallContext } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';

export interface OpSteps<T> {
  cancels?: string[]; // operations in progress this one cancels first (VM.hard_shutdown: clean_shutdown, ...)
  prepare?: () => T; // checks and reservations that must hold while the operation runs
  apply: (prepared: T) => Value | Promise<Value>;
  rollback?: (prepared: T | undefined) => void;
}

export async function runVmOp<T>(ctx: CallContext, vmRef: string, op: string, steps: OpSteps<T>): Promise<Value> {
  beginOperation(ctx.sim, vmRef, op, ctx.opRef);
  let prepared: T | undefined;
  let ok = false;
  try {
    if (steps.cancels) await cancelOperations(ctx, vmRef, steps.cancels);
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

// message_forwarding.ml `cancel`: Task.cancel each listed operation in progress, then wait for them to end.
async function cancelOperations(ctx: CallContext, vmRef: string, ops: string[]): Promise<void> {
  const { sim } = ctx;
  const pending = () =>
    Object.entries((sim.store.get('VM', vmRef)?.current_operations ?? {}) as Record<string, string>)
      .filter(([ref, op]) => ref !== ctx.opRef && ops.includes(op))
      .map(([ref]) => ref);
  const doomed = pending();
  for (const ref of doomed) ctx.cancel(ref);
  while (!sim.timers.signal.aborted && pending().some((ref) => doomed.includes(ref))) await sim.waitForChange(1000);
}
