import { SetMetadata } from '@nestjs/common';
import type { JobName, OperationEntity } from '@xenplane/core';
import type { XapiPool } from '@xenplane/xapi-driver';
import type { JobFailure } from './job-failure.js';

/** What one attempt of an operation works on, reloaded from Postgres for every attempt. */
export interface OperationContext<R> {
  operation: OperationEntity;
  resource: R;
  /** The pool the resource lives on, connected on first use. */
  readonly xapi: () => Promise<XapiPool>;
  /** Whether this is the last attempt BullMQ will make. */
  lastAttempt: boolean;
}

/**
 * One resource kind's part of the operation pipeline; the runner does everything else (reload, early return,
 * context, retry-or-fail, metrics, logs). Each method must be safe to repeat: a crash may replay any of them.
 */
export interface OperationHandler<R = unknown, O = unknown> {
  /** The row the operation names, or null when it no longer exists. */
  load(operation: OperationEntity): Promise<R | null>;
  /** The pool the resource lives on. */
  poolId(resource: R): string;
  /** One attempt of the work on the pool; throws to retry (transient) or to fail (terminal). Its answer goes to succeed. */
  run(ctx: OperationContext<R>): Promise<O>;
  /** Success: rows, quota, addresses and usage together with the operation's end, in one transaction. */
  succeed(ctx: OperationContext<R>, result: O): Promise<void>;
  /** Terminal failure: compensation on the pool, then rows, quota, addresses and the operation's end. */
  fail(ctx: OperationContext<R>, failure: JobFailure): Promise<void>;
}

export const HANDLES_JOBS = 'xenplane:handles-jobs';

/** Registers a provider as the handler of these jobs; the registry refuses to boot on a missing or doubled one. */
export const HandlesJobs = (...jobs: JobName[]) => SetMetadata(HANDLES_JOBS, jobs);
