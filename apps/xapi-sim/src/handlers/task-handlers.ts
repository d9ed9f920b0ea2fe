// task.* beyond the generic accessors: cancel through the runner, client-created tasks.
import type { TaskRunner } from '../tasks/task-runner.js';
import { argStr, type HandlerTable } from '../rpc/handler-types.js';
import { EPOCH, nowXapiDate } from '../util/xapi-time.js';

export function taskHandlers(runner: TaskRunner): HandlerTable {
  return {
    'task.cancel': (ctx) => (runner.cancel(argStr(ctx, 0)), ''),
    'task.create': (ctx) =>
      ctx.sim.store.create('task', {
        name_label: argStr(ctx, 0),
        name_description: argStr(ctx, 1),
        status: 'pending',
        created: nowXapiDate(),
        finished: EPOCH,
        progress: 0,
        resident_on: ctx.sim.masterRef(),
        type: '<none/>',
        allowed_operations: ['cancel'],
        backtrace: '()',
      }),
  };
}
