// session.login_with_password / logout; a login that lands on a slave host answers HOST_IS_SLAVE.
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { createSession, destroySession } from '../rpc/sessions.js';
import { fail } from '../rpc/xapi-error.js';

// The host a request reached, by the local address it arrived on; anything unknown is host 1.
function hostReached(ctx: CallContext): string {
  const address = ctx.localAddress.replace(/^::ffff:/, '');
  const hit = ctx.sim.hostRefs.find((ref) => ctx.sim.store.get('host', ref)?.address === address);
  return hit ?? ctx.sim.hostRefs[0]!;
}

export const sessionHandlers: HandlerTable = {
  'session.login_with_password': (ctx) => {
    const { sim } = ctx;
    const master = sim.masterRef();
    if (hostReached(ctx) !== master) fail('HOST_IS_SLAVE', String(sim.store.mustGet('host', master).address));
    if (argStr(ctx, 0) !== sim.options.username || argStr(ctx, 1) !== sim.options.password) fail('SESSION_AUTHENTICATION_FAILED');
    return createSession(sim, argStr(ctx, 0), argStr(ctx, 3));
  },
  'session.logout': (ctx) => (destroySession(ctx.sim, ctx.session), ''),
  'session.local_logout': (ctx) => (destroySession(ctx.sim, ctx.session), ''),
};
