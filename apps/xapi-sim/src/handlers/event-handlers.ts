// event.* messages over the event service.
import { eventFrom, eventInject } from '../events/event-service.js';
import { Raw, argNum, argStr, type HandlerTable } from '../rpc/handler-types.js';

export const eventHandlers: HandlerTable = {
  'event.from': async (ctx) => new Raw(await eventFrom(ctx.sim, ctx.args[0] as string[], argStr(ctx, 1), argNum(ctx, 2))),
  'event.inject': (ctx) => eventInject(ctx.sim, argStr(ctx, 0), argStr(ctx, 1)),
  'event.get_current_id': (ctx) => ctx.sim.store.generation,
};
