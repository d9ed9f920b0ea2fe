import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { xapiFloat } from '../datamodel/value-normaliser.js';
import type { CallOptions } from './xapi-client.options.js';
import { isTaskDone, type TaskState } from './task-outcome.js';
import { abortableSleep as sleep } from '../util/abortable-sleep.js';

/** What the watcher needs from the client. */
export interface TaskCaller {
  callWith<T = unknown>(method: string, params: readonly unknown[], options?: CallOptions): Promise<T>;
}

interface Waiter {
  resolve(task: TaskState): void;
  reject(e: unknown): void;
}

interface EventBatch {
  token: string;
  events: Array<{ class: string; operation: string; ref: string; snapshot?: TaskState }>;
}

const EVENT_TIMEOUT_S = 10;
// Even while events flow, every waiter is re-read this often: a missed event can delay a task, never lose it.
const SAFETY_CHECK_MS = 5_000;
// codes after which the event token is useless and must be re-obtained
const RESET_CODES = new Set(['EVENTS_LOST', 'EVENT_FROM_TOKEN_PARSE_FAILURE', 'SESSION_INVALID', 'HANDLE_INVALID']);

/**
 * Waits for tasks with one shared `event.from(["task"])` loop per client; falls back to polling
 * `task.get_record` when events are unavailable. The loop runs only while someone waits.
 */
export class TaskWatcher {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private loop: Promise<void> | undefined;
  private polling = false;
  private idle: AbortController | undefined;
  // kept between runs of the loop: a task event after it is never missed, and no new inject is needed to start
  private token: string | undefined;

  constructor(
    private readonly client: TaskCaller,
    private readonly pollIntervalMs: number,
    private readonly closed: AbortSignal,
  ) {
    closed.addEventListener('abort', () => {
      const err = new XapiTransportError('aborted', 'client closed while waiting for the task', 'task.get_record');
      for (const ref of [...this.waiters.keys()]) this.fail(ref, err);
    });
  }

  /** Resolves with the task record once it is no longer pending; rejects after `timeoutMs` (cancelling the task). */
  wait(taskRef: string, method: string, timeoutMs: number): Promise<TaskState> {
    return new Promise<TaskState>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle();
        void this.client.callWith('task.cancel', [taskRef], { silent: true }).catch(() => undefined);
        reject(new XapiTransportError('timeout', `task ${taskRef} not finished within ${timeoutMs} ms`, method));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (t) => (settle(), resolve(t)),
        reject: (e: Error) => (settle(), reject(e)),
      };
      const settle = () => {
        clearTimeout(timer);
        const set = this.waiters.get(taskRef);
        set?.delete(waiter);
        if (set?.size === 0) this.waiters.delete(taskRef);
        if (this.waiters.size === 0) this.idle?.abort();
      };
      const set = this.waiters.get(taskRef) ?? new Set<Waiter>();
      set.add(waiter);
      this.waiters.set(taskRef, set);
      // registered first, then an injected event: whatever the task's state, the loop sees one event with its record
      // after the token, so neither a task that finished before the loop's token nor a task.get_record is needed
      void this.inject(taskRef).then(() => {
        if (this.waiters.has(taskRef)) this.ensureLoop();
      });
    });
  }

  private ensureLoop(): void {
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
      if (this.waiters.size > 0 && !this.closed.aborted) this.ensureLoop();
    });
  }

  private async inject(taskRef: string): Promise<void> {
    if (this.polling) return this.check(taskRef);
    try {
      const token = await this.client.callWith<string>('event.inject', ['task', taskRef], { silent: true });
      // a loop not yet running starts from here; a running one has an older token, which sees the event too
      if (!this.loop) this.token ??= token;
    } catch (e) {
      if (e instanceof XapiError && e.code === 'HANDLE_INVALID') return this.fail(taskRef, e);
      await this.check(taskRef); // no event.inject here (or it failed): read the task once instead
    }
  }

  private async check(taskRef: string): Promise<void> {
    try {
      const task = await this.client.callWith<TaskState>('task.get_record', [taskRef], { silent: true });
      this.deliver(taskRef, task);
    } catch (e) {
      if (e instanceof XapiError && e.code === 'HANDLE_INVALID') this.fail(taskRef, e);
    }
  }

  private deliver(taskRef: string, task: TaskState): void {
    if (!isTaskDone(task)) return;
    for (const w of [...(this.waiters.get(taskRef) ?? [])]) w.resolve(task);
  }

  private fail(taskRef: string, e: unknown): void {
    for (const w of [...(this.waiters.get(taskRef) ?? [])]) w.reject(e);
  }

  private async run(): Promise<void> {
    let failures = 0;
    let lastCheck = Date.now();
    while (this.waiters.size > 0 && !this.closed.aborted) {
      if (Date.now() - lastCheck > SAFETY_CHECK_MS) {
        lastCheck = Date.now();
        await Promise.all([...this.waiters.keys()].map((ref) => this.check(ref)));
        if (this.waiters.size === 0) break;
      }
      if (this.polling) {
        await Promise.all([...this.waiters.keys()].map((ref) => this.check(ref)));
        await sleep(this.pollIntervalMs, this.closed);
        continue;
      }
      this.idle = new AbortController();
      try {
        this.token ??= await this.client.callWith<string>('event.inject', ['task', [...this.waiters.keys()][0]], { silent: true });
        const batch = await this.client.callWith<EventBatch>('event.from', [['task'], this.token, xapiFloat(SAFETY_CHECK_MS / 1000 + 0.1)], {
          silent: true,
          unlimited: true,
          timeoutMs: (EVENT_TIMEOUT_S + 30) * 1000,
          signal: AbortSignal.any([this.idle.signal, this.closed]),
        });
        this.token = batch.token;
        failures = 0;
        for (const ev of batch.events ?? []) {
          if (ev.operation === 'del') this.fail(ev.ref, new XapiError('HANDLE_INVALID', ['task', ev.ref], 'task.get_record'));
          else if (ev.snapshot) this.deliver(ev.ref, ev.snapshot);
        }
      } catch (e) {
        if (this.idle.signal.aborted || this.closed.aborted) continue;
        this.token = undefined;
        if (e instanceof XapiError && RESET_CODES.has(e.code)) {
          await Promise.all([...this.waiters.keys()].map((ref) => this.check(ref)));
          continue;
        }
        // events unusable on this server (or failing repeatedly): poll instead
        if ((e instanceof XapiError && e.code.startsWith('MESSAGE_')) || ++failures >= 3) this.polling = true;
        else await sleep(this.pollIntervalMs, this.closed);
      }
    }
  }
}
