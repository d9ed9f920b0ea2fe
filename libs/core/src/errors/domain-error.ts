/** Error codes of the public contract (API.md), each with its HTTP status. */
export const ERROR_STATUS = {
  validation_failed: 400,
  malformed_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  tenant_suspended: 403,
  csrf_failed: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  operation_in_progress: 409,
  in_use: 409,
  requires_stop: 409,
  detach_required: 409,
  invalid_state: 409,
  quota_exceeded: 409,
  console_limit_reached: 409,
  webhook_limit_reached: 409,
  name_taken: 409,
  default_group: 409,
  pool_mismatch: 409,
  no_capacity: 409,
  snapshot_limit: 409,
  network_full: 409,
  nic_limit_reached: 409,
  already_attached: 409,
  address_contention: 409,
  no_address: 409,
  idempotency_key_in_progress: 409,
  period_closed: 409,
  period_not_rated: 409,
  prices_already_rated: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  idempotency_key_reused: 422,
  disk_below_template: 422,
  disk_cannot_shrink: 422,
  flavor_deprecated: 422,
  image_deprecated: 422,
  template_not_found: 422,
  volume_shrink: 422,
  checksum_mismatch: 422,
  image_invalid: 422,
  image_not_ready: 422,
  upload_incomplete: 400,
  period_out_of_range: 422,
  billing_currency_not_configured: 409,
  rate_limited: 429,
  stream_limit_reached: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLES: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  malformed_request: 'The request is not well-formed HTTP',
  unauthenticated: 'Authentication is required',
  forbidden: 'This key may not do that',
  tenant_suspended: 'The tenant is suspended: it may read, not change',
  csrf_failed: 'A cookie-authenticated change needs the X-Xenplane-CSRF header',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  request_timeout: 'The request took too long to arrive',
  conflict: 'Conflict with the current state',
  detach_required: 'Detach the volume (or stop its VM) first',
  invalid_state: 'Not allowed in the current state',
  operation_in_progress: 'Another operation on this resource is in progress',
  in_use: 'Still in use',
  network_full: 'The network has no free address',
  nic_limit_reached: 'The VM has as many NICs as it may',
  already_attached: 'The VM already has a NIC on that network',
  address_contention: 'No address could be allocated now',
  no_address: "The provider network's allocation pools have no free address",
  idempotency_key_in_progress: 'A request with this Idempotency-Key is in progress',
  period_closed: 'The billing period is closed',
  period_not_rated: 'The billing period is not fully rated',
  prices_already_rated: 'Those hours are already rated',
  requires_stop: 'Only possible while the VM is stopped',
  quota_exceeded: 'Quota exceeded',
  console_limit_reached: 'The VM has as many open consoles as it may',
  webhook_limit_reached: 'The tenant has as many webhooks as it may',
  name_taken: 'The name is already in use',
  default_group: 'The default security group cannot be renamed or deleted',
  pool_mismatch: 'The resources are on different pools',
  no_capacity: 'No host can take it now',
  snapshot_limit: 'The VM or volume has as many snapshots as it may',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported media type',
  headers_too_large: 'Request headers too large',
  idempotency_key_reused: 'Idempotency key reused with another request',
  disk_below_template: "The disk is smaller than the image's template disk",
  disk_cannot_shrink: 'Disks never shrink',
  flavor_deprecated: 'The flavor is deprecated',
  image_deprecated: 'The image is deprecated',
  template_not_found: 'No such template on the pool',
  volume_shrink: 'Volumes only grow',
  checksum_mismatch: 'The upload does not have the sha256 sent with it',
  image_invalid: 'The upload is not a disk image of its format',
  image_not_ready: 'The image has no disk yet',
  upload_incomplete: 'The upload ended before all its bytes arrived',
  period_out_of_range: 'No such billing period',
  billing_currency_not_configured: 'BILLING_CURRENCY is not configured',
  rate_limited: 'Too many requests',
  stream_limit_reached: 'Too many open event streams',
  internal: 'Internal error',
  unavailable: 'A dependency is unavailable',
};

/** A failure the caller can act on; the HTTP layer maps `code` to a problem+json answer. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export class NotFoundError extends DomainError {
  constructor(kind: string, id: string) {
    super('not_found', `${kind} ${id} does not exist`);
  }
}

export class InvalidStateError extends DomainError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super('invalid_state', message, extra);
  }
}

/** @deprecated a 409 says which conflict it is: throw a DomainError with a specific code (name_taken, in_use, ...). */
export class ConflictError extends DomainError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super('conflict', message, extra);
  }
}

/** 409 name_taken: a unique name is already used by another `kind`. */
export class NameTakenError extends DomainError {
  constructor(kind: string, name: string) {
    super('name_taken', `a ${kind} named "${name}" exists`, { kind, name });
  }
}

/** 409 in_use: refused while something still uses the resource; `usedBy` says what (ids by kind, or counts), `extra` adds fields a kind has long answered with. */
export class InUseError extends DomainError {
  constructor(message: string, usedBy: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    super('in_use', message, { usedBy, ...extra });
  }
}

/** 409 operation_in_progress: one operation at a time per resource; names the one running (when still there). */
export class OperationInProgressError extends DomainError {
  constructor(resource: { type: string; id: string }, active: { id: string; kind: string } | null) {
    super(
      'operation_in_progress',
      `another operation on ${resource.type} ${resource.id} is in progress${active ? ` (${active.kind} ${active.id})` : ''}`,
      {
        operationId: active?.id ?? null,
        operationKind: active?.kind ?? null,
      },
    );
  }
}

/** Postgres unique_violation (23505): the row a unique index protects already exists. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505';
}
