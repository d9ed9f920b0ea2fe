import type { OpenAPIObject } from '@nestjs/swagger';
import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from '@xenplane/core';
import { ERROR_CODES_EXTENSION } from './api-errors.decorator.js';
import { PROBLEM_EXAMPLE_EXTRAS, PROBLEM_SCHEMA, TAG_DESCRIPTIONS } from './problem.openapi-parts.js';

interface Operation {
  parameters?: ({ name: string; in: string } | { $ref: string })[];
  requestBody?: unknown;
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: unknown }>;
  security?: unknown[];
  tags?: string[];
  [ERROR_CODES_EXTENSION]?: ErrorCode[];
  'x-roles'?: string[];
}

const MUTATING = new Set(['post', 'put', 'patch', 'delete']);
const ALL_ROLES = 3;

/** The codes an operation answers besides its own: what authentication, roles, ids, bodies and retries bring. */
function sharedCodes(method: string, op: Operation): ErrorCode[] {
  const codes: ErrorCode[] = ['validation_failed', 'malformed_request'];
  if (op.security?.length) codes.push('unauthenticated', 'rate_limited');
  if (op['x-roles'] && op['x-roles'].length < ALL_ROLES) codes.push('forbidden');
  const params = (op.parameters ?? []).filter((p): p is { name: string; in: string } => 'in' in p);
  // An id in the path, or an operator naming a tenant: another tenant's resource is a 404 as well.
  if (params.some((p) => p.in === 'path' || (p.in === 'query' && p.name === 'tenantId'))) codes.push('not_found');
  if (op.requestBody) codes.push('payload_too_large', 'unsupported_media_type');
  if (MUTATING.has(method)) codes.push('idempotency_key_reused', 'idempotency_key_in_progress');
  codes.push('internal', 'unavailable');
  return codes;
}

function problemExample(code: ErrorCode) {
  const value = {
    type: `urn:xenplane:problem:${code}`,
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    detail: PROBLEM_EXAMPLE_EXTRAS[code]?.detail ?? ERROR_TITLES[code],
    code,
    instance: '/v1/vms/7d1c7a52-5a0e-4c59-9d3e-2f4f7b3f0a11',
    requestId: '3f2b8c1e-9a4d-4e7b-8f0a-6c5d4e3b2a19',
    ...PROBLEM_EXAMPLE_EXTRAS[code]?.fields,
  };
  return { summary: ERROR_TITLES[code], value };
}

/** The error responses of one operation: one per status, naming every code it can answer, each with an example. */
function documentErrors(method: string, op: Operation, used: Set<ErrorCode>): void {
  // A route without ApiDoc is left bare, for the documentation test (and the linters) to name.
  const own = op[ERROR_CODES_EXTENSION];
  if (!own) return;
  const codes = [...new Set([...sharedCodes(method, op), ...own])];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    for (const c of group) used.add(c);
    op.responses[String(status)] = {
      description: group.map((c) => `\`${c}\`: ${ERROR_TITLES[c]}`).join('; '),
      content: {
        'application/problem+json': {
          schema: { $ref: '#/components/schemas/Problem' },
          examples: Object.fromEntries(group.map((c) => [c, { $ref: `#/components/examples/problem_${c}` }])),
        },
      },
    };
  }
  op.responses.default = {
    description: 'any other failure (method_not_allowed, request_timeout, headers_too_large), as a problem with its code',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  op[ERROR_CODES_EXTENSION] = codes;
}

/** Idempotency-Key on every state-changing operation, and the header that marks a replayed answer. */
function documentIdempotency(method: string, op: Operation): void {
  if (!MUTATING.has(method)) return;
  op.parameters = [...(op.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }];
  for (const [status, response] of Object.entries(op.responses)) {
    if (status.startsWith('2'))
      response.headers = { ...response.headers, 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } };
  }
}

/**
 * Finishes the generated document with what every operation shares: one problem+json schema, each operation's error
 * responses with the codes it can answer (its `ApiDoc` errors and the shared ones) and examples, Idempotency-Key where
 * it applies, the API key format, tags, servers and licence. New routes get all of it by declaring `ApiDoc`.
 */
export function finishDocument(doc: OpenAPIObject): OpenAPIObject {
  const used = new Set<ErrorCode>();
  const tags = new Set<string>();
  for (const item of Object.values(doc.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
      if (!MUTATING.has(method) && method !== 'get') continue;
      documentErrors(method, op, used);
      documentIdempotency(method, op);
      // Login takes no key: say so, rather than leave the reader to guess (Redocly's security-defined).
      op.security ??= [];
      for (const t of op.tags ?? []) tags.add(t);
    }
  }
  doc.components ??= {};
  doc.components.schemas = { ...doc.components.schemas, Problem: PROBLEM_SCHEMA };
  doc.components.examples = Object.fromEntries([...used].sort().map((c) => [`problem_${c}`, problemExample(c)]));
  doc.components.parameters = {
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Makes a retry safe: the same key and body from the same API key replay the first answer (same ids, header Idempotent-Replayed); ' +
        'another body is 422 idempotency_key_reused; while the first is still running, a duplicate waits, then 409 idempotency_key_in_progress.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
      example: 'create-web-1-2026-01-05',
    },
  };
  doc.components.headers = {
    IdempotentReplayed: {
      description: '`true` when this answer is the replay of an earlier request with the same Idempotency-Key',
      schema: { type: 'string', enum: ['true'] },
    },
  };
  doc.components.securitySchemes = {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'xpk_<16 hex digits>_<43 base64url characters>',
      description:
        'An API key, in the Authorization header only (`Authorization: Bearer xpk_0123456789abcdef_…`): `xpk_`, its public 16-hex-digit prefix, `_`, ' +
        'and a 256-bit secret in base64url, shown once when the key is created. The bootstrap operator key (BOOTSTRAP_OPERATOR_TOKEN) is any string of 16+ characters.',
    },
  };
  doc.tags = [...tags].sort().map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? `${name} routes` }));
  doc.servers = [{ url: '/', description: 'the API that serves this document' }];
  doc.info.license = { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' };
  doc.info.contact = { name: 'the operators of this xenplane installation' };
  return doc;
}
