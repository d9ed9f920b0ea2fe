import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, one } from '@xenplane/core';

/** A live session as authentication sees it: the key it stands for, and what unsafe requests must echo. */
export interface LiveWebSession {
  id: string;
  apiKeyId: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface NewWebSession {
  id: string;
  apiKeyId: string;
  tokenHash: Buffer;
  csrfToken: string;
  ttlMs: number;
}

/** Web console sessions (`web_sessions`); cross-tenant by nature: the cookie alone names the key. */
@Injectable()
export class WebSessionRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Inserts a session; answers its expiry (the database's clock, the one `findLive` compares with). */
  async insert(tx: EntityManager, s: NewWebSession): Promise<Date> {
    const row = await one<{ expires_at: Date }>(
      tx,
      `INSERT INTO web_sessions (id, api_key_id, token_hash, csrf_token, expires_at)
       VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond') RETURNING expires_at`,
      [s.id, s.apiKeyId, s.tokenHash, s.csrfToken, s.ttlMs],
    );
    return row!.expires_at;
  }

  /** The session a cookie's token hash names, if neither ended nor expired. */
  findLive(tokenHash: Buffer): Promise<LiveWebSession | undefined> {
    return one<LiveWebSession>(
      this.ds.manager,
      `SELECT id, api_key_id AS "apiKeyId", csrf_token AS "csrfToken", expires_at AS "expiresAt"
         FROM web_sessions WHERE token_hash = $1 AND ended_at IS NULL AND expires_at > now()`,
      [tokenHash],
    );
  }

  /** Ends a session (logout); true if this call did it. */
  async end(tx: EntityManager, id: string): Promise<boolean> {
    return (await affected(tx, `UPDATE web_sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL`, [id])) === 1;
  }

  /** Rows a day past their end or expiry tell nothing any more. */
  purgeOld(tx: EntityManager): Promise<number> {
    return affected(tx, `DELETE FROM web_sessions WHERE coalesce(ended_at, expires_at) < now() - interval '1 day'`);
  }
}
