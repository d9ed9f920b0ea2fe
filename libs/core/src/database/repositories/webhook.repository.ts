import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { WebhookEntity } from '../entities/webhook.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { affected, one, rows } from '../sql.js';
import { pageBy } from './keyset.js';

export interface NewWebhook {
  id: string;
  tenantId: string;
  url: string;
  events: string[];
  secretSealed: Buffer;
}

/** What one delivery attempt left: delivered through `cursor`, or a failure to retry at `nextAttemptAt` (or give up). */
export type DeliveryOutcome =
  | { ok: true; cursor: number; statusCode: number | null }
  | { ok: false; cursor: number; error: string; statusCode: number | null; nextAttemptAt: Date; giveUp: boolean };

const COLUMNS = `id, tenant_id AS "tenantId", url, events, secret, secret_sealed AS "secretSealed", status, cursor::text AS cursor, attempts, next_attempt_at AS "nextAttemptAt",
  failing_since AS "failingSince", last_error AS "lastError", last_status_code AS "lastStatusCode", last_delivered_at AS "lastDeliveredAt",
  created_at AS "createdAt"`;

/** Tenants' webhooks and their delivery state; writes take the transaction first, tenant reads the tenant id first. */
@Injectable()
export class WebhookRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** A new webhook starts after the newest committed event: it gets what happens from now on. */
  async insert(tx: EntityManager, w: NewWebhook): Promise<WebhookEntity> {
    return (await one<WebhookEntity>(
      tx,
      `INSERT INTO webhooks (id, tenant_id, url, events, secret_sealed, cursor)
       VALUES ($1, $2, $3, $4, $5, (SELECT coalesce(max(id), 0) FROM events)) RETURNING ${COLUMNS}`,
      [w.id, w.tenantId, w.url, w.events, w.secretSealed],
    ))!;
  }

  /** How many webhooks the tenant has, counted under a lock on its rows' creation (two creates take turns). */
  async countLocked(tx: EntityManager, tenantId: string): Promise<number> {
    await rows(tx, `SELECT pg_advisory_xact_lock(hashtext('xenplane:webhooks:' || $1::text))`, [tenantId]);
    return Number((await one<{ n: string }>(tx, `SELECT count(*)::text AS n FROM webhooks WHERE tenant_id = $1`, [tenantId]))!.n);
  }

  /** Cross-tenant: rows still holding a plain secret (made before sealing). */
  plainSecrets(q: EntityManager = this.ds.manager): Promise<{ id: string; secret: string }[]> {
    return rows<{ id: string; secret: string }>(q, `SELECT id, secret FROM webhooks WHERE secret IS NOT NULL`);
  }

  /** Replaces a plain secret by its sealed form (only if it is still that secret). */
  async sealSecret(tx: EntityManager, id: string, plain: string, sealed: Buffer): Promise<void> {
    await affected(tx, `UPDATE webhooks SET secret_sealed = $3, secret = NULL WHERE id = $1 AND secret = $2`, [id, plain, sealed]);
  }

  find(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<WebhookEntity | undefined> {
    return one<WebhookEntity>(q, `SELECT ${COLUMNS} FROM webhooks WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  }

  list(tenantId: string, page: PageRequest): Promise<Page<WebhookEntity>> {
    return pageBy(this.ds.manager.createQueryBuilder(WebhookEntity, 'w').where('w.tenant_id = :tenantId', { tenantId }), 'w', page);
  }

  /** Cross-tenant (the operators' view). */
  listAllTenants(page: PageRequest): Promise<Page<WebhookEntity>> {
    return pageBy(this.ds.manager.createQueryBuilder(WebhookEntity, 'w'), 'w', page);
  }

  async delete(tx: EntityManager, tenantId: string, id: string): Promise<boolean> {
    return (await affected(tx, `DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2`, [tenantId, id])) === 1;
  }

  /** Cross-tenant, for the delivery pass: active webhooks due now with events after their cursor. */
  due(limit: number, q: EntityManager = this.ds.manager): Promise<WebhookEntity[]> {
    return rows<WebhookEntity>(
      q,
      `SELECT ${COLUMNS} FROM webhooks w WHERE status = 'active' AND (next_attempt_at IS NULL OR next_attempt_at <= now())
         AND EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = w.tenant_id AND e.id > w.cursor)
       ORDER BY next_attempt_at NULLS FIRST, id LIMIT $1`,
      [limit],
    );
  }

  /** Records a delivery's outcome; false when the webhook is gone (deleted meanwhile: deliveries stop). */
  async record(q: EntityManager, id: string, o: DeliveryOutcome): Promise<boolean> {
    if (o.ok) {
      return (
        1 ===
        (await affected(
          q,
          `UPDATE webhooks SET cursor = GREATEST(cursor, $2), attempts = 0, next_attempt_at = NULL, failing_since = NULL, last_error = NULL,
           last_status_code = coalesce($3, last_status_code), last_delivered_at = CASE WHEN $3::int IS NULL THEN last_delivered_at ELSE now() END
         WHERE id = $1`,
          [id, o.cursor, o.statusCode],
        ))
      );
    }
    return (
      1 ===
      (await affected(
        q,
        `UPDATE webhooks SET cursor = GREATEST(cursor, $2), attempts = attempts + 1, next_attempt_at = $3, failing_since = coalesce(failing_since, now()),
         last_error = $4, last_status_code = $5, status = CASE WHEN $6 THEN 'failed' ELSE status END
       WHERE id = $1`,
        [id, o.cursor, o.nextAttemptAt, o.error, o.statusCode, o.giveUp],
      ))
    );
  }
}
