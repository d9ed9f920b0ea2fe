import { DomainError, fieldError, type ApiKeyRole } from '@xenplane/core';

/** Who is calling: resolved from the bearer token by the API's auth guard. */
export interface Principal {
  keyId: string;
  /** The key's name, for the audit log (the bootstrap token's is `bootstrap`). */
  keyName: string;
  role: ApiKeyRole;
  tenantId: string | null;
  /** The key's tenant is suspended: it may read, but every change is 403 tenant_suspended. */
  tenantSuspended?: boolean;
  /** Set when the request came with a web session cookie instead of a bearer key (unsafe methods then need the CSRF header). */
  sessionId?: string;
}

export function isOperator(p: Principal): boolean {
  return p.role === 'operator';
}

/**
 * The tenant a tenant-scoped request acts on: the caller's own tenant, or `?tenantId=` for an operator.
 * A tenant key naming another tenant gets 404, as if that tenant's resources did not exist.
 */
export function actingTenant(p: Principal, requested?: string): string {
  if (p.role === 'operator') {
    if (!requested) {
      throw fieldError('tenantId', 'is required for operator keys', 'operators must name the tenant with ?tenantId=');
    }
    return requested;
  }
  if (requested && requested !== p.tenantId) throw new DomainError('not_found', 'no such tenant');
  return p.tenantId!;
}
