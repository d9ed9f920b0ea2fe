// Host maintenance as ocaml/xapi/xapi_host.ml and message_forwarding.ml do it: disable/enable, the evacuation
// plan and its two error reports, and host.evacuate migrating VMs as Async.VM.pool_migrate tasks in batches.
import { evacuationPlan, planErrors } from '../domain/evacuation.js';
import { refreshHostAllowedOperations, withHostOperation } from '../domain/host-ops.js';
import { refreshHostMetrics } from '../domain/host-memory.js';
import { argNum, argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import type { TaskRunner } from '../tasks/task-runner.js';
import { isNullRef } from '../util/ids.js';
import { str } from '../wire/wire-value.js';
import { migrateLive } from './migration-handlers.js';
import { beginOperation, endOperation } from '../domain/vm-state.js';

const defaultBatchSize = 10; // xapi.conf evacuation-batch-size

function finished(sim: SimState, taskRef: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const status = sim.store.get('task', taskRef)?.status;
      if (status === 'pending' || status === 'cancelling') return false;
      resolve();
      return true;
    };
    if (check()) return;
    const stop = sim.store.onChange(() => check() && stop());
  });
}

// One VM of the plan, as the Async.VM.pool_migrate task xapi's evacuate starts for it.
async function migrateAsTask(ctx: CallContext, tasks: TaskRunner, vmRef: string, host: string): Promise<void> {
  const { sim } = ctx;
  const taskRef = tasks.start('VM.pool_migrate', ctx.session, async (hooks) => {
    const sub: CallContext = { ...ctx, method: 'VM.pool_migrate', opRef: hooks.taskRef, isAsync: true, delay: hooks.delay };
    beginOperation(sim, vmRef, 'pool_migrate', hooks.taskRef);
    try {
      await migrateLive(sub, vmRef, host);
    } finally {
      endOperation(sim, vmRef, hooks.taskRef);
    }
    return str('');
  });
  await finished(sim, taskRef);
  const task = sim.store.get('task', taskRef);
  if (task) sim.store.destroy('task', taskRef);
  const [code, ...params] = (task?.error_info as string[] | undefined) ?? [];
  // assert_success: a VM that stopped meanwhile (VM_BAD_POWER_STATE) is no longer in the way
  if (task?.status !== 'success' && code && code !== 'VM_BAD_POWER_STATE') fail(code, ...params);
}

async function evacuate(ctx: CallContext, tasks: TaskRunner): Promise<''> {
  const { sim } = ctx;
  const hostRef = argStr(ctx, 0);
  const network = ctx.args.length > 1 ? argStr(ctx, 1) : '';
  const plans = evacuationPlan(sim, hostRef);
  const [firstError] = planErrors(plans);
  if (firstError) fail(firstError[1][0], ...firstError[1].slice(1));
  if (network && !isNullRef(network)) {
    sim.store.mustGet('network', network);
    for (const p of plans.values()) {
      const host = 'host' in p ? p.host : '';
      const pif = (sim.store.get('network', network)?.PIFs as string[]).find((r) => sim.store.get('PIF', r)?.host === host);
      if (!pif) fail('PIF_NOT_PRESENT', host, network);
      if (!sim.store.get('PIF', pif)!.IP) fail('INTERFACE_HAS_NO_IP', pif);
    }
  }
  const size = ctx.args.length > 2 && argNum(ctx, 2) !== 0 ? Math.max(1, Math.abs(argNum(ctx, 2))) : defaultBatchSize;
  const queue = [...plans.entries()].map(([vm, p]) => [vm, 'host' in p ? p.host : ''] as const);
  const total = queue.length;
  let done = 0;
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      await migrateAsTask(ctx, tasks, next[0], next[1]);
      if (ctx.isAsync && sim.store.get('task', ctx.opRef)) sim.store.update('task', ctx.opRef, { progress: ++done / total });
    }
  };
  await withHostOperation(sim, hostRef, 'evacuate', ctx.opRef, () => Promise.all(Array.from({ length: Math.min(size, total) }, worker)));
  const left = (sim.store.mustGet('host', hostRef).resident_VMs as string[]).filter((v) => sim.store.get('VM', v)?.is_control_domain !== true);
  if (left.length > 0) fail('INTERNAL_ERROR', `evacuate: ${left.length} VMs are still resident on ${hostRef}`);
  return '';
}

export function maintenanceHandlers(tasks: TaskRunner): HandlerTable {
  return {
    'host.disable': (ctx) => {
      const host = argStr(ctx, 0);
      if (ctx.sim.store.mustGet('host', host).enabled === true) ctx.sim.store.update('host', host, { enabled: false });
      refreshHostAllowedOperations(ctx.sim, host);
      return '';
    },
    'host.enable': {
      ownDelay: true,
      fn: (ctx) =>
        withHostOperation(ctx.sim, argStr(ctx, 0), 'enable', ctx.opRef, async () => {
          const host = argStr(ctx, 0);
          await ctx.delay();
          if (ctx.sim.store.mustGet('host', host).enabled !== true) ctx.sim.store.update('host', host, { enabled: true });
          refreshHostMetrics(ctx.sim, host);
          return '' as const;
        }).finally(() => refreshHostAllowedOperations(ctx.sim, argStr(ctx, 0))),
    },
    'host.evacuate': { ownDelay: true, fn: (ctx) => evacuate(ctx, tasks) },
    'host.assert_can_evacuate': (ctx) => {
      const errors = planErrors(evacuationPlan(ctx.sim, argStr(ctx, 0)));
      if (errors.length > 0) fail('CANNOT_EVACUATE_HOST', errors.map(([, e]) => e.join(',')).join('|'));
      return '';
    },
    'host.get_vms_which_prevent_evacuation': (ctx) => Object.fromEntries(planErrors(evacuationPlan(ctx.sim, argStr(ctx, 0)))),
  };
}
