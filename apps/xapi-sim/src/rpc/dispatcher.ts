// Routes one decoded call: method lookup, param count, faults, session, coercion, then sync or Async run.
import { coerce } from '../datamodel/coerce.js';
import type { MessageDef } from '../datamodel/datamodel.js';
import type { Value } from '../datamodel/defaults.js';
import { genericHandler } from '../handlers/generic-handlers.js';
import type { SimState } from '../sim/sim-state.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { newRef } from '../util/ids.js';
import { encodeTyped, str, type Wire } from '../wire/wire-value.js';
import { Raw, entry, type CallContext, type HandlerEntry, type HandlerResult, type HandlerTable } from './handler-types.js';
import { validateSession } from './sessions.js';
import { XapiError, fail } from './xapi-error.js';
import { scalar } from '../datamodel/defaults.js';

// `bare`: system.listMethods, which xapi answers over XML-RPC without the Status/Value struct (api_server.ml).
export type Outcome = { kind: 'ok'; wire: Wire; bare?: boolean } | { kind: 'error'; description: string[] } | { kind: 'http500' };

export interface CallMeta {
  transport: 'xmlrpc' | 'jsonrpc';
  localAddress: string;
}

/** An injected HTTP_500 fault: it unwinds to the transport, which answers a bare HTTP 500. */
class Http500 extends Error {}
const http500 = new Http500('injected HTTP 500');
const noAsyncClasses = new Set(['session', 'task', 'event']);
// What a slave answers itself; everything else must go to the master.
const slaveLocal = new Set(['session.slave_local_login_with_password', 'session.local_logout']);

function supportsAsync(msg: MessageDef): boolean {
  return !noAsyncClasses.has(msg.cls) && (!msg.implicit || msg.name === 'create' || msg.name === 'destroy');
}

export class Dispatcher {
  private readonly handlers = new Map<string, HandlerEntry>();

  constructor(
    private readonly sim: SimState,
    readonly tasks: TaskRunner,
    tables: HandlerTable[],
  ) {
    for (const t of tables) for (const [name, h] of Object.entries(t)) this.handlers.set(name, entry(h));
  }

  async call(method: string, params: Value[], meta: CallMeta): Promise<Outcome> {
    const started = Date.now();
    if (method === 'system.listMethods') return { kind: 'ok', wire: { t: 'arr', v: this.listMethods().map(str) }, bare: true };
    try {
      const wire = await this.dispatch(method, params, meta);
      this.sim.log.debug('call', { method, transport: meta.transport, ms: Date.now() - started });
      return { kind: 'ok', wire };
    } catch (e) {
      if (e instanceof Http500) return { kind: 'http500' };
      if (e instanceof XapiError) {
        this.sim.log.debug('call failed', { method, transport: meta.transport, error: e.description });
        return { kind: 'error', description: e.description };
      }
      this.sim.log.error('handler crashed', { method, error: String((e as Error)?.stack ?? e) });
      return { kind: 'error', description: ['INTERNAL_ERROR', String((e as Error)?.message ?? e)] };
    }
  }

  // Sync wire names of every message, as xapi's generated dispatcher lists them (gen_server.ml: DU.wire_name ~sync:true).
  listMethods(): string[] {
    const out: string[] = [];
    for (const c of this.sim.dm.classes.values()) for (const m of c.messages.values()) out.push(`${c.name}.${m.name}`);
    return out;
  }

  // Methods with an implementation (explicit or generic), as opposed to listMethods' whole datamodel.
  servedMethods(): string[] {
    const out: string[] = [];
    for (const c of this.sim.dm.classes.values()) {
      for (const m of c.messages.values()) {
        if (!this.handlers.has(`${c.name}.${m.name}`) && !genericHandler(c, m)) continue;
        out.push(`${c.name}.${m.name}`);
        if (supportsAsync(m)) out.push(`Async.${c.name}.${m.name}`);
      }
    }
    return out;
  }

  private async dispatch(method: string, params: Value[], meta: CallMeta): Promise<Wire> {
    const isAsync = method.startsWith('Async.');
    const base = isAsync ? method.slice('Async.'.length) : method;
    const dot = base.indexOf('.');
    const msg = dot > 0 ? this.sim.dm.message(base.slice(0, dot), base.slice(dot + 1)) : undefined;
    if (!msg || (isAsync && !supportsAsync(msg))) fail('MESSAGE_METHOD_UNKNOWN', method);
    const skip = msg.takesSession ? 1 : 0;
    // gen_server.ml: trailing params with a default may be left out, and a message with defaults ignores extra ones;
    // both by the signature of the release presented (SIM_API_VERSION: a param added later is not there to default).
    const signature = this.sim.paramsOf(msg);
    const min = signature.filter((p) => p.default === undefined).length;
    const trimmed = signature.length < msg.params.length; // the release lacks params added later: its defaults are its own
    const withDefaults = trimmed ? signature.some((p) => p.default !== undefined) : msg.hasDefaults;
    const max = withDefaults ? Infinity : signature.length;
    if (params.length < min || params.length > max) fail('MESSAGE_PARAMETER_COUNT_MISMATCH', base, min - skip, params.length - skip);
    const master = this.sim.masterRef();
    if (!slaveLocal.has(base) && this.sim.hostAt(meta.localAddress) !== master)
      fail('HOST_IS_SLAVE', scalar(this.sim.store.mustGet('host', master).address));
    const fault = this.sim.control.takeFault(method);
    if (fault?.code === 'HTTP_500') throw http500;
    if (fault) fail(fault.code, ...(fault.params ?? []));
    const handler = this.handlers.get(base) ?? genericHandler(this.sim.dm.cls(msg.cls)!, msg) ?? fail('NOT_IMPLEMENTED', base);
    const args = signature
      .slice(skip)
      .map((p, i) => coerce(i + skip < params.length ? params[i + skip]! : structuredClone(p.default!), p.type, this.sim.dm, p.name));
    const session = msg.takesSession ? validateSession(this.sim, params[0]) : '';
    const cancel = (ref: string) => this.tasks.cancelOperation(ref);
    const shared = { sim: this.sim, method: base, message: msg, session, args, isAsync, localAddress: meta.localAddress, cancel };
    if (isAsync) {
      const taskRef = this.tasks.start(base, session, async (hooks) => {
        const ctx: CallContext = { ...shared, opRef: hooks.taskRef, delay: once(hooks.delay) };
        return this.encode(await run(handler, ctx), msg);
      });
      return str(taskRef);
    }
    const opRef = newRef();
    const ctx: CallContext = { ...shared, opRef, delay: once(() => this.tasks.syncDelay(opRef, base)) };
    return this.encode(await run(handler, ctx), msg);
  }

  private encode(result: HandlerResult, msg: MessageDef): Wire {
    return result instanceof Raw ? result.wire : encodeTyped(result, msg.result, this.sim.dm);
  }
}

async function run(handler: HandlerEntry, ctx: CallContext): Promise<HandlerResult> {
  if (!handler.ownDelay) await ctx.delay();
  return handler.fn(ctx);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
