// session.login_with_password / logout (the dispatcher already turned calls reaching a slave into HOST_IS_SLAVE).
import { argStr, type HandlerTable } from '../rpc/handler-types.js';
import { createSession, destroySession } from '../rpc/sessions.js';
import { fail } from '../rpc/xapi-error.js';

export const sessionHandlers: HandlerTable = {
  'session.login_with_password': (ctx) => {
    const { sim } = ctx;
    if (argStr(ctx, 0) !== sim.options.username || argStr(ctx, 1) !== sim.options.password) fail('SESSION_AUTHENTICATION_FAILED');
    return createSession(sim, argStr(ctx, 0), argStr(ctx, 3));
  },
  'session.logout': (ctx) => (destroySession(ctx.sim, ctx.session), ''),
  'session.local_logout': (ctx) => (destroySession(ctx.sim, ctx.session), ''),
};
