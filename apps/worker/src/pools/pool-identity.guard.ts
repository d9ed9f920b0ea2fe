import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { LOGGER, PoolRepository } from '@xenplane/core';
import { poolIdentityMismatch } from '../worker.metrics.js';

/** The pool behind a registration is not the one registered: nothing may act on it until an operator decides. */
export class PoolIdentityMismatchError extends Error {
  constructor(
    readonly poolId: string,
    readonly recorded: string | null,
    readonly observed: string,
  ) {
    super(`pool ${poolId} answers with pool uuid ${observed}, not ${recorded ?? 'the one registered'}; held until an operator adopts or reverts`);
    this.name = 'PoolIdentityMismatchError';
  }
}

/**
 * Checks, after every login to a pool, that its pool object is the one first seen there. A simulator reset or a URL
 * now pointing elsewhere shows another uuid: judging its VMs would release every row as vanished, so the pool is held
 * (identity_mismatch) and every call through its client fails with PoolIdentityMismatchError until an operator acts.
 */
@Injectable()
export class PoolIdentityGuard {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly pools: PoolRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async verify(poolId: string, call: (method: string, ...params: unknown[]) => Promise<unknown>): Promise<void> {
    const [poolRef] = (await call('pool.get_all')) as string[];
    if (!poolRef) throw new Error('the pool reports no pool object');
    const observed = String(await call('pool.get_uuid', poolRef));
    const row = await this.pools.find(poolId);
    // A deleted registration: the caller's own look-up reports it.
    if (!row) return;
    const recorded = row.xapiPoolUuid ?? (await this.pools.recordIdentity(this.ds.manager, poolId, observed));
    // Held pools stay held even if the old pool comes back: only the operator's answer clears the hold.
    if (row.status !== 'identity_mismatch' && recorded === observed) {
      poolIdentityMismatch.set({ pool: poolId }, 0);
      return;
    }
    poolIdentityMismatch.set({ pool: poolId }, 1);
    if (recorded !== observed && (await this.pools.markIdentityMismatch(this.ds.manager, poolId, observed))) {
      this.logger.error(
        { poolId, recordedPoolUuid: recorded, observedPoolUuid: observed },
        'pool identity mismatch: the pool answers with another pool uuid; nothing is reconciled or released until an operator POSTs /v1/pools/:id/identity (adopt or revert)',
      );
    }
    throw new PoolIdentityMismatchError(poolId, recorded, observed);
  }
}
