import { safeError } from '@xenplane/core';
import { XapiError } from '@xenplane/xapi-driver';
import { PoolIdentityMismatchError } from '../pools/pool-identity.guard.js';

export interface JobFailure {
  /** True when retrying cannot help: compensate and fail the operation now. */
  terminal: boolean;
  /** Code the tenant sees on the failed operation. */
  code: string;
  detail: string;
}

// XAPI codes that mean one thing wherever they come from; one whose meaning depends on what was looked up
// (UUID_INVALID: a template? a network?) is turned into a SagaError by the step that looked it up.
const TENANT_CODES: Record<string, string> = {
  NO_HOSTS_AVAILABLE: 'no_capacity',
  HOST_NOT_ENOUGH_FREE_MEMORY: 'no_capacity',
  SR_FULL: 'no_storage',
  VM_IS_TEMPLATE: 'template_missing',
  TEMPLATE_NOT_FOUND: 'template_missing',
  LIVE_RESIZE_EXCEEDS_MAXIMUM: 'requires_stop',
};

/** A failure the saga itself detected (e.g. the image's template is gone). */
export class SagaError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Classifies what went wrong so the handler knows whether to let BullMQ retry or to compensate. */
export function classify(err: unknown): JobFailure {
  if (err instanceof SagaError) return { terminal: true, code: err.code, detail: err.message };
  // Retried: the operator's adopt or revert may come before the last attempt; a failure then releases nothing.
  if (err instanceof PoolIdentityMismatchError) return { terminal: false, code: 'pool_identity_mismatch', detail: err.message };
  if (err instanceof XapiError) {
    const code = TENANT_CODES[err.code] ?? 'xapi_error';
    return { terminal: !err.retryable || code === 'no_capacity', code, detail: `${err.code} ${err.params.join(' ')}`.trim() };
  }
  // The tenant sees the detail and the log keeps it: never the values of a failed query.
  return { terminal: false, code: 'internal', detail: String(safeError(err).message) };
}
