// VM.snapshot/checkpoint/revert and VDI.snapshot/clone/copy (ocaml/xapi/message_forwarding.ml marks the operations).
import { snapshotVm } from '../domain/vm-snapshot.js';
import { revertVm, vmOfSnapshot } from '../domain/vm-revert.js';
import { assertOperationValid, beginOperation, endOperation } from '../domain/vm-state.js';
import { cloneVdi, copyVdi, snapshotVdi } from '../domain/vdi-ops.js';
import { withVdiOperation } from '../domain/vdi-rules.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { newRef } from '../util/ids.js';
import { runVmOp } from './vm-op.js';

function snapshotOp(op: 'snapshot' | 'checkpoint') {
  return {
    ownDelay: true,
    fn: (ctx: CallContext) => {
      const vmRef = argStr(ctx, 0);
      ctx.sim.store.mustGet('VM', vmRef);
      const ignoreVdis = op === 'snapshot' ? ((ctx.args[2] ?? []) as string[]) : [];
      // templates, snapshots, control domains and power states: xapi's operation checks (vm-lifecycle.ts)
      return runVmOp(ctx, vmRef, op, {
        apply: () => snapshotVm(ctx.sim, vmRef, argStr(ctx, 1), { checkpoint: op === 'checkpoint', ignoreVdis }),
      });
    },
  };
}

// Marks `revert` on the snapshot and `reverting` on its VM for the whole operation.
async function revert(ctx: CallContext): Promise<string> {
  const { sim } = ctx;
  const snapRef = argStr(ctx, 0);
  const snap = sim.store.mustGet('VM', snapRef);
  assertOperationValid(sim, snapRef, snap, 'revert'); // ONLY_REVERT_SNAPSHOT before a VM is brought back for it
  const vmRef = vmOfSnapshot(sim, snapRef);
  return runVmOp(ctx, snapRef, 'revert', {
    apply: async () => {
      const vmOp = newRef();
      beginOperation(sim, vmRef, 'reverting', vmOp);
      try {
        await revertVm(sim, snapRef, vmRef);
      } finally {
        endOperation(sim, vmRef, vmOp);
      }
      return '';
    },
  }) as Promise<string>;
}

const params = (ctx: CallContext) => (ctx.args[1] ?? {}) as Record<string, string>;

export const snapshotHandlers: HandlerTable = {
  'VM.snapshot': snapshotOp('snapshot'),
  'VM.checkpoint': snapshotOp('checkpoint'),
  'VM.revert': { ownDelay: true, fn: revert },
  'VDI.snapshot': (ctx) => withVdiOperation(ctx.sim, argStr(ctx, 0), 'snapshot', ctx.opRef, () => snapshotVdi(ctx.sim, argStr(ctx, 0), params(ctx))),
  'VDI.clone': (ctx) => withVdiOperation(ctx.sim, argStr(ctx, 0), 'clone', ctx.opRef, () => cloneVdi(ctx.sim, argStr(ctx, 0), params(ctx))),
  'VDI.copy': (ctx) =>
    withVdiOperation(ctx.sim, argStr(ctx, 0), 'copy', ctx.opRef, () =>
      copyVdi(ctx.sim, argStr(ctx, 0), argStr(ctx, 1), argStr(ctx, 2), argStr(ctx, 3)),
    ),
};
