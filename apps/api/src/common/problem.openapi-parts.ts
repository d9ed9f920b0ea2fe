// The shared pieces finishDocument puts in the OpenAPI document: the problem schema, example fields, tag texts.
import { ERROR_STATUS, type ErrorCode } from '@xenplane/core';

export const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'An RFC 9457 problem; some codes add fields of their own (named in each code example)',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'urn:xenplane:problem:<code>', example: 'urn:xenplane:problem:validation_failed' },
    title: { type: 'string', description: 'the same for every problem of this code' },
    status: { type: 'integer', description: 'the HTTP status' },
    detail: { type: 'string', description: 'what went wrong, for a person' },
    code: { type: 'string', enum: Object.keys(ERROR_STATUS), description: 'what went wrong, for a program: the field to branch on' },
    instance: { type: 'string', description: 'the request path' },
    requestId: { type: 'string', description: 'the X-Request-Id to quote when reporting a 500' },
    errors: {
      type: 'array',
      description: 'validation_failed: each problem and the field it is about',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
    retryAfter: { type: 'integer', description: 'seconds to wait before retrying (also the Retry-After header)' },
    // Fields some codes add, each named with the codes that carry it.
    kind: { type: 'string', description: 'name_taken: the kind of resource whose name is taken' },
    name: { type: 'string', description: 'name_taken: the name' },
    usedBy: { type: 'object', additionalProperties: true, description: 'in_use: what still uses it (ids by kind, or counts)' },
    operationId: { type: 'string', nullable: true, description: 'operation_in_progress, idempotency_key_in_progress: the operation in the way' },
    operationKind: { type: 'string', nullable: true, description: 'operation_in_progress: what that operation does' },
    currentStatus: { type: 'string', description: 'invalid_state: the status that refuses the action' },
    action: { type: 'string', description: 'invalid_state: the action refused' },
    poolStatus: { type: 'string', description: "invalid_state (pool identity): the pool's status" },
    resource: { type: 'string', description: 'quota_exceeded: the quota dimension that does not fit' },
    limit: { type: 'integer', description: 'quota_exceeded: its limit' },
    used: { type: 'integer', description: 'quota_exceeded: what is used now' },
    requested: { type: 'integer', description: 'quota_exceeded: what the request asks for' },
    liveMax: {
      type: 'object',
      description: "requires_stop: the VM's live maximums",
      properties: { vcpus: { type: 'integer' }, memoryMiB: { type: 'integer' } },
    },
    diskGiB: { type: 'integer', description: "disk_cannot_shrink: the VM's disk now" },
    minDiskGiB: { type: 'integer', description: "disk_below_template: the template's disk" },
    networkId: { type: 'string', description: 'network_full, address_contention: the network' },
    capacity: { type: 'integer', description: 'network_full: how many addresses it has' },
    closedAt: { type: 'string', format: 'date-time', description: 'period_closed: when' },
    sha256: { type: 'string', description: "period_closed: the frozen export's hash" },
    ratedThrough: { type: 'string', format: 'date-time', nullable: true, description: 'period_not_rated, prices_already_rated: rated up to' },
    allow: { type: 'array', items: { type: 'string' }, description: 'method_not_allowed: the methods the path serves (also the Allow header)' },
  },
};

/** What an example of each code says beyond its title, and the fields it carries. */
export const PROBLEM_EXAMPLE_EXTRAS: Partial<Record<ErrorCode, { detail: string; fields?: Record<string, unknown> }>> = {
  validation_failed: { detail: 'name must not be empty', fields: { errors: [{ path: 'name', message: 'name must not be empty' }] } },
  not_found: { detail: 'vm 7d1c7a52-5a0e-4c59-9d3e-2f4f7b3f0a11 does not exist' },
  forbidden: { detail: 'this route is for operator keys' },
  unauthenticated: { detail: 'a valid bearer API key is required' },
  rate_limited: { detail: 'too many requests for this API key; retry later', fields: { retryAfter: 2 } },
  invalid_state: { detail: 'cannot start a VM that is running', fields: { currentStatus: 'running', action: 'start' } },
  operation_in_progress: {
    detail: 'another operation on vm 7d1c7a52-5a0e-4c59-9d3e-2f4f7b3f0a11 is in progress',
    fields: { operationId: '0b6f4a8e-1c2d-4e3f-9a8b-7c6d5e4f3a21', operationKind: 'vm.stop' },
  },
  name_taken: { detail: 'a flavor named "small" exists', fields: { kind: 'flavor', name: 'small' } },
  in_use: { detail: 'network still has VMs attached; delete them first', fields: { usedBy: { vms: ['7d1c7a52-5a0e-4c59-9d3e-2f4f7b3f0a11'] } } },
  quota_exceeded: { detail: 'vcpus: 3 used + 2 requested exceeds the limit of 4', fields: { resource: 'vcpus', limit: 4, used: 3, requested: 2 } },
  requires_stop: {
    detail: 'a running VM cannot take 8 vCPUs (live maximum 4): stop it, resize, start it',
    fields: { liveMax: { vcpus: 4, memoryMiB: 4096 } },
  },
  disk_cannot_shrink: { detail: "the VM's disk is 20 GiB and disks never shrink", fields: { diskGiB: 20 } },
  disk_below_template: { detail: "the image's template has a 10 GiB disk; diskGiB (5) is smaller", fields: { minDiskGiB: 10 } },
  network_full: { detail: 'network is full: all 29 addresses of 10.0.0.0/27 are in use', fields: { capacity: 29 } },
  address_contention: { detail: 'no address could be allocated on the network; try again', fields: { retryAfter: 1 } },
  idempotency_key_in_progress: { detail: 'a request with this Idempotency-Key is still in progress; retry later', fields: { retryAfter: 1 } },
  period_closed: { detail: 'period 2026-04 was closed at 2026-05-01T03:00:00.000Z', fields: { closedAt: '2026-05-01T03:00:00.000Z' } },
  period_not_rated: { detail: 'period 2026-04 still has hours that are not rated', fields: { ratedThrough: '2026-04-30T21:00:00.000Z' } },
  prices_already_rated: { detail: 'hours before 2026-04-30T22:00:00.000Z are already rated', fields: { ratedThrough: '2026-04-30T22:00:00.000Z' } },
  unavailable: { detail: 'the database is unavailable or overloaded; retry shortly', fields: { retryAfter: 5 } },
  internal: { detail: 'an internal error occurred; quote the request id when reporting it' },
};

export const TAG_DESCRIPTIONS: Record<string, string> = {
  tenants: 'Tenants (operators)',
  'api-keys': "A tenant's API keys (operators, and the tenant's admins for their own)",
  catalog: 'Flavors and images that VMs are built from (operators define them, everyone reads them)',
  vms: 'Virtual machines: every change is accepted (202) with an operation to poll',
  networks: 'Private tenant networks on Open vSwitch',
  operations: 'The asynchronous operations that changes start',
  pools: 'XAPI pools and their hosts (operators)',
  quota: 'Quota limits and live usage',
  billing: 'Prices, usage, invoices and FOCUS exports',
  audit: 'Who did what',
};
