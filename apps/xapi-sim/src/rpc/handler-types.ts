// What a message handler sees and returns; the dispatcher owns sessions, params, tasks and encoding.
import type { MessageDef } from '../datamodel/datamodel.js';
import type { Value } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import type { Wire } from '../wire/wire-value.js';
import { scalar } from '../datamodel/defaults.js';

export interface CallContext {
  sim: SimState;
  method: string; // without the Async. prefix
  message: MessageDef;
  session: string; // '' for session-less messages
  args: Value[]; // params after the session, coerced to their datamodel types
  opRef: string; // the task for Async calls, else a fresh ref naming this call in current_operations
  isAsync: boolean;
  localAddress: string;
  delay: () => Promise<void>; // the /sim/latency for this method; idempotent
  cancel(opRef: string): void; // cancels another call's operation (a task, or a sync call's op ref)
}

// A result already in wire form (event.from's batch has no datamodel type).
export class Raw {
  constructor(readonly wire: Wire) {}
}

export type HandlerResult = Value | Raw;
export type Handler = (ctx: CallContext) => HandlerResult | Promise<HandlerResult>;

export interface HandlerEntry {
  fn: Handler;
  ownDelay?: boolean; // handler calls ctx.delay() itself, after marking its operation in progress
}

export type HandlerTable = Record<string, Handler | HandlerEntry>;

export function entry(h: Handler | HandlerEntry): HandlerEntry {
  return typeof h === 'function' ? { fn: h } : h;
}

export const argStr = (ctx: CallContext, i: number): string => scalar(ctx.args[i] ?? '');
export const argNum = (ctx: CallContext, i: number): number => Number(ctx.args[i] ?? 0);
