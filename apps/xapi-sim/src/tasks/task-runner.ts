// Async.* calls: a task record goes pending -> success|failure|cancelled, result XML-encoded as xapi does.
import type { SimState } from '../sim/sim-state.js';
import { XapiError } from '../rpc/xapi-error.js';
import { EPOCH, nowXapiDate } from '../util/xapi-time.js';
import { wireToXml, type Wire } from '../wire/wire-value.js';

export interface TaskHooks {
  taskRef: string;
  delay: () => Promise<void>;
}

interface Running {
  cancelled: boolean;
  cancellable: boolean;
  wake: AbortController;
}

const progressSteps = 4;

export class TaskRunner {
  private readonly running = new Map<string, Running>();

  constructor(private readonly sim: SimState) {}

  start(method: string, session: string, exec: (hooks: TaskHooks) => Promise<Wire>): string {
    const { store } = this.sim;
    const taskRef = store.create('task', {
      name_label: `Async.${method}`,
      status: 'pending',
      created: nowXapiDate(),
      finished: EPOCH,
      progress: 0,
      resident_on: this.sim.masterRef(),
      type: '<none/>',
      result: '',
      error_info: [],
      allowed_operations: ['cancel'],
      other_config: {},
      backtrace: '()',
    });
    const state: Running = { cancelled: false, cancellable: true, wake: new AbortController() };
    this.running.set(taskRef, state);
    const hooks: TaskHooks = { taskRef, delay: () => this.delay(taskRef, method, state) };
    setImmediate(() => void this.run(taskRef, method, session, state, hooks, exec));
    return taskRef;
  }

  private async run(
    taskRef: string,
    method: string,
    session: string,
    state: Running,
    hooks: TaskHooks,
    exec: (h: TaskHooks) => Promise<Wire>,
  ): Promise<void> {
    try {
      // A fault registered for the plain method name fails the task, not the Async call.
      const fault = this.sim.control.takeFault(method);
      if (fault) throw new XapiError(fault.code, fault.params ?? []);
      const wire = await exec(hooks);
      this.finish(taskRef, { status: 'success', result: wireToXml(wire) });
    } catch (e) {
      const err = e instanceof XapiError ? e : new XapiError('INTERNAL_ERROR', [String((e as Error)?.message ?? e)]);
      if (!(e instanceof XapiError)) this.sim.log.error('task crashed', { method, session, error: String(e) });
      const status = err.code === 'TASK_CANCELLED' ? 'cancelled' : 'failure';
      this.finish(taskRef, { status, error_info: err.description });
    } finally {
      this.running.delete(taskRef);
    }
  }

  // The per-method latency, in steps so progress moves and a cancel can land between them.
  private async delay(taskRef: string, method: string, state: Running): Promise<void> {
    const total = this.sim.control.latencyFor(method);
    for (let step = 1; step <= progressSteps && total > 0; step++) {
      this.throwIfCancelled(taskRef, state);
      await this.sim.timers.sleep(total / progressSteps, state.wake.signal);
      this.throwIfCancelled(taskRef, state);
      if (step < progressSteps && this.sim.store.get('task', taskRef)) this.sim.store.update('task', taskRef, { progress: step / progressSteps });
    }
    this.throwIfCancelled(taskRef, state);
    state.cancellable = false; // from here the operation applies in one step
  }

  private throwIfCancelled(taskRef: string, state: Running): void {
    if (state.cancelled || this.sim.timers.signal.aborted) throw new XapiError('TASK_CANCELLED', [taskRef]);
  }

  // A sync call's wait, cancellable like a task's (hard_shutdown cancels a clean_shutdown in progress, sync or not).
  async syncDelay(opRef: string, method: string): Promise<void> {
    const state: Running = { cancelled: false, cancellable: true, wake: new AbortController() };
    this.running.set(opRef, state);
    try {
      await this.delay(opRef, method, state);
    } finally {
      this.running.delete(opRef);
    }
  }

  // Cancels whatever runs under `ref`: an Async task, or a sync call's operation (xapi gives both a task).
  cancelOperation(ref: string): void {
    if (this.sim.store.get('task', ref)?.status === 'pending') return this.cancel(ref);
    const state = this.running.get(ref);
    if (state?.cancellable) {
      state.cancelled = true;
      state.wake.abort();
    }
  }

  // Best effort, like xapi: a task already applying its change just completes.
  cancel(taskRef: string): void {
    const task = this.sim.store.mustGet('task', taskRef);
    if (task.status !== 'pending') return; // xapi_task.ml cancel: no error for a task already done, nothing happens
    const state = this.running.get(taskRef);
    if (state?.cancellable) {
      state.cancelled = true;
      this.sim.store.update('task', taskRef, { status: 'cancelling' });
      state.wake.abort();
    } else if (!state) {
      this.finish(taskRef, { status: 'cancelled', error_info: ['TASK_CANCELLED', taskRef] });
    }
  }

  private finish(taskRef: string, patch: Record<string, string | string[]>): void {
    if (!this.sim.store.get('task', taskRef)) return; // destroyed while running
    this.sim.store.update('task', taskRef, { ...patch, progress: 1, finished: nowXapiDate(), allowed_operations: [] });
  }
}
