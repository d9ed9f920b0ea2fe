import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ConflictError, DomainError, isUniqueViolation, HostRepository, NotFoundError, PoolRepository, SecretBox,
  type HostEntity, type Page, type PageRequest, type PoolEntity,
} from '@xenplane/core';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';

/** Pool registration: credentials are sealed here; workers connect, and report hosts and status. */
@Injectable()
export class PoolsService {
  private readonly box: SecretBox | undefined;

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    private readonly pools: PoolRepository,
    private readonly hosts: HostRepository,
  ) {
    this.box = config.POOL_ENCRYPTION_KEY ? new SecretBox(config.POOL_ENCRYPTION_KEY) : undefined;
  }

  async register(p: { name: string; url: string; username: string; password: string }): Promise<PoolEntity> {
    if (!this.box) throw new DomainError('unavailable', 'pool registration needs POOL_ENCRYPTION_KEY set on the API and the workers');
    try {
      return await this.pools.insert({ id: randomUUID(), name: p.name, url: p.url.replace(/\/+$/, ''), username: p.username, passwordEnc: this.box.seal(p.password) });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a pool named "${p.name}" exists`);
      throw err;
    }
  }

  async get(id: string): Promise<{ pool: PoolEntity; hostCount: number }> {
    const pool = await this.pools.find(id);
    if (!pool) throw new NotFoundError('pool', id);
    return { pool, hostCount: (await this.hosts.countByPool()).get(id) ?? 0 };
  }

  async list(page: PageRequest): Promise<{ page: Page<PoolEntity>; hostCounts: Map<string, number> }> {
    const [result, hostCounts] = await Promise.all([this.pools.list(page), this.hosts.countByPool()]);
    return { page: result, hostCounts };
  }

  listHosts(page: PageRequest, poolId?: string): Promise<Page<HostEntity>> {
    return this.hosts.list(page, poolId);
  }
}
