import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affected, one, rows } from '../sql.js';

export interface IdempotencyRecord {
  requestHash: Buffer;
  operationId: string | null;
  statusCode: number | null;
  responseBody: unknown;
  responseLocation: string | null;
  ageMs: number;
}

interface Row {
  request_hash: Buffer;
  operation_id: string | null;
  status_code: number | null;
  response_body: unknown;
  response_location: string | null;
  age_ms: number;
}

/**
 * Idempotency keys, scoped by the API key that sent them (`key:<id>`), so two keys never share a key space. Every
 * method writes, so each takes the transaction (or `ds.manager`) first.
 */
@Injectable()
export class IdempotencyRepository {
  /** Claims the key for this request; returns null when claimed, or the existing record. */
  async claim(tx: EntityManager, scope: string, key: string, hash: Buffer): Promise<IdempotencyRecord | null> {
    const inserted = await rows(
      tx,
      `INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key`,
      [scope, key, hash],
    );
    if (inserted.length > 0) return null;
    const r = await one<Row>(
      tx,
      `SELECT request_hash, operation_id, status_code, response_body, response_location,
              (extract(epoch FROM now() - created_at) * 1000)::bigint AS age_ms
       FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    // Released between our insert and select: the caller simply tries again.
    if (!r) return { requestHash: hash, operationId: null, statusCode: null, responseBody: null, responseLocation: null, ageMs: 0 };
    return {
      requestHash: r.request_hash,
      operationId: r.operation_id,
      statusCode: r.status_code,
      responseBody: r.response_body,
      responseLocation: r.response_location,
      ageMs: Number(r.age_ms),
    };
  }

  /** Called inside the transaction that launches an operation, so the key and the operation commit together. */
  async attachOperation(tx: EntityManager, scope: string, key: string, operationId: string): Promise<void> {
    await affected(tx, `UPDATE idempotency_keys SET operation_id = $3 WHERE scope = $1 AND key = $2`, [scope, key, operationId]);
  }

  async complete(tx: EntityManager, scope: string, key: string, statusCode: number, body: unknown, location: string | null): Promise<void> {
    await affected(
      tx,
      `UPDATE idempotency_keys SET status_code = $3, response_body = $4::jsonb, response_location = $5, completed_at = now()
       WHERE scope = $1 AND key = $2`,
      [scope, key, statusCode, JSON.stringify(body ?? null), location],
    );
  }

  /** Forgets a claim whose request failed before launching anything, so the same key can be retried. */
  async release(tx: EntityManager, scope: string, key: string): Promise<void> {
    await affected(tx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND operation_id IS NULL AND status_code IS NULL`, [scope, key]);
  }

  /** Takes over a claim abandoned by a crashed request that launched nothing; true if this caller now owns it. */
  async takeOver(tx: EntityManager, scope: string, key: string, staleAfterMs: number): Promise<boolean> {
    const taken = await affected(
      tx,
      `UPDATE idempotency_keys SET created_at = now()
       WHERE scope = $1 AND key = $2 AND status_code IS NULL AND operation_id IS NULL AND created_at < now() - ($3 || ' milliseconds')::interval`,
      [scope, key, String(staleAfterMs)],
    );
    return taken > 0;
  }

  /** Forgets keys whose request ended (or was last claimed) longer ago than the retention; returns how many. */
  async purgeOlderThan(tx: EntityManager, retentionHours: number): Promise<number> {
    return affected(
      tx,
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) AND coalesce(completed_at, created_at) < now() - make_interval(hours => $1)`,
      [retentionHours],
    );
  }
}
