// VM.power_state_reset: the only way a VM on a dead host stops being shown running (domain/host-failure.ts).
import { powerStateReset } from '../domain/host-failure.js';
import { argStr, type HandlerTable } from '../rpc/handler-types.js';

export const hostFailureHandlers: HandlerTable = {
  'VM.power_state_reset': (ctx) => (powerStateReset(ctx.sim, argStr(ctx, 0)), ''),
};
