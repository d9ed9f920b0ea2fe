import { DomainError, type PoolEntity } from '@xenplane/core';

/** The pool new resources go to; none, or one held for an identity mismatch, is 503 (nothing would be made there). */
export function usablePool(pool: PoolEntity | null): PoolEntity {
  if (!pool) throw new DomainError('unavailable', 'no XAPI pool is registered');
  if (pool.status === 'identity_mismatch') {
    throw new DomainError('unavailable', `pool ${pool.name} is held until an operator confirms its identity; retry later`, { retryAfter: 60 });
  }
  return pool;
}
