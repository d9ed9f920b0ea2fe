import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PoolEntity } from '../entities/pool.entity.js';

@Injectable()
export class PoolRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  find(id: string): Promise<PoolEntity | null> {
    return this.ds.manager.findOne(PoolEntity, { where: { id } });
  }

  /** The pool named by XAPI_* at start; created or updated in place so restarts keep its id. */
  async upsertFromEnv(url: string, username: string): Promise<PoolEntity> {
    const rows: { id: string }[] = await this.ds.query(
      `INSERT INTO pools (id, name, url, username, from_env) VALUES ($1, 'default', $2, $3, true)
       ON CONFLICT (from_env) WHERE from_env DO UPDATE SET url = EXCLUDED.url, username = EXCLUDED.username
       RETURNING id`,
      [randomUUID(), url, username],
    );
    return (await this.find(rows[0]!.id))!;
  }

  async findDefault(): Promise<PoolEntity | null> {
    return this.ds.manager.findOne(PoolEntity, { where: { fromEnv: true } });
  }
}
