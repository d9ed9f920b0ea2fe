import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affected, one, rows, type ApiKeyRole, type VmStatus } from '@xenplane/core';

// A key that can no longer authenticate: revoked, or past its expiry.
const UNUSABLE_KEY = '(k.revoked_at IS NOT NULL OR (k.expires_at IS NOT NULL AND k.expires_at <= now()))';

/** Whose a console session is. */
export interface ConsoleOwner {
  id: string;
  tenantId: string;
  vmId: string;
  apiKeyId: string;
  apiKeyName: string | null;
  role: ApiKeyRole;
}

/** A console token as the gateway sees it when a client presents it, with what it is bound to. */
export interface ConsoleClaim extends ConsoleOwner {
  used: boolean;
  expired: boolean;
  keyRevoked: boolean;
  vmStatus: VmStatus | null;
  poolId: string | null;
  xapiUuid: string | null;
}

export interface NewConsoleToken {
  id: string;
  tenantId: string;
  vmId: string;
  apiKeyId: string;
  role: ApiKeyRole;
  tokenHash: Buffer;
  ttlMs: number;
}

export interface LostSession extends ConsoleOwner {
  durationMs: number;
}

export interface ConsoleEnd {
  reason: string;
  bytesToClient: number;
  bytesFromClient: number;
}

/** Console tokens and sessions (`console_sessions`); a session is open from connected_at until ended_at. */
@Injectable()
export class ConsoleSessionRepository {
  /** Inserts a token; answers its expiry (the database's clock, the one the claim compares with). */
  async insertToken(tx: EntityManager, t: NewConsoleToken): Promise<Date> {
    const row = await one<{ expires_at: Date }>(
      tx,
      `INSERT INTO console_sessions (id, tenant_id, vm_id, api_key_id, role, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond') RETURNING expires_at`,
      [t.id, t.tenantId, t.vmId, t.apiKeyId, t.role, t.tokenHash, t.ttlMs],
    );
    return row!.expires_at;
  }

  /** The token's row, locked, with its key's and VM's state (cross-tenant: the token alone names the tenant). */
  async lockByToken(tx: EntityManager, tokenHash: Buffer): Promise<ConsoleClaim | undefined> {
    return one<ConsoleClaim>(
      tx,
      `SELECT s.id, s.tenant_id AS "tenantId", s.vm_id AS "vmId", s.api_key_id AS "apiKeyId", s.role,
              s.connected_at IS NOT NULL AS used, s.expires_at <= now() AS expired,
              EXISTS (SELECT 1 FROM api_keys k WHERE k.id = s.api_key_id AND ${UNUSABLE_KEY}) AS "keyRevoked",
              (SELECT k.name FROM api_keys k WHERE k.id = s.api_key_id) AS "apiKeyName",
              v.status AS "vmStatus", v.pool_id AS "poolId", v.xapi_uuid AS "xapiUuid"
         FROM console_sessions s LEFT JOIN vms v ON v.id = s.vm_id AND v.tenant_id = s.tenant_id
        WHERE s.token_hash = $1
          FOR UPDATE OF s`,
      [tokenHash],
    );
  }

  /** Serialises the session count of one VM across API processes until the transaction ends; answers its open sessions. */
  async lockVmSessions(tx: EntityManager, vmId: string): Promise<number> {
    await rows(tx, `SELECT pg_advisory_xact_lock(hashtextextended('console:' || $1::text, 0))`, [vmId]);
    const row = await one<{ n: number }>(
      tx,
      `SELECT count(*)::int AS n FROM console_sessions WHERE vm_id = $1 AND connected_at IS NOT NULL AND ended_at IS NULL`,
      [vmId],
    );
    return row!.n;
  }

  /**
   * Ends the sessions (of one VM, or all) whose process stopped refreshing them: it died, so they must not hold
   * places forever. Cross-tenant; answers them, ended when they were last seen, for their audit rows.
   */
  async endLost(tx: EntityManager, staleMs: number, vmId?: string): Promise<LostSession[]> {
    return rows<LostSession>(
      tx,
      `UPDATE console_sessions SET ended_at = greatest(seen_at, connected_at), end_reason = 'lost'
        WHERE connected_at IS NOT NULL AND ended_at IS NULL AND seen_at < now() - $1 * interval '1 millisecond' AND ($2::uuid IS NULL OR vm_id = $2)
        RETURNING id, tenant_id AS "tenantId", vm_id AS "vmId", api_key_id AS "apiKeyId", role,
                  (SELECT k.name FROM api_keys k WHERE k.id = api_key_id) AS "apiKeyName",
                  round(extract(epoch FROM ended_at - connected_at) * 1000)::bigint::float8 AS "durationMs"`,
      [staleMs, vmId ?? null],
    );
  }

  /** Spends the token: from now on it is used, whatever happens to the session. */
  async markConnected(tx: EntityManager, id: string): Promise<Date> {
    const row = await one<{ connected_at: Date }>(
      tx,
      `UPDATE console_sessions SET connected_at = now(), seen_at = now() WHERE id = $1 AND connected_at IS NULL RETURNING connected_at`,
      [id],
    );
    return row!.connected_at;
  }

  /** Ends the session; answers how long it was open (ms), or null when it had already ended. */
  async end(tx: EntityManager, id: string, e: ConsoleEnd): Promise<number | null> {
    const row = await one<{ ms: number }>(
      tx,
      `UPDATE console_sessions SET ended_at = greatest(now(), connected_at), end_reason = $2, bytes_to_client = $3, bytes_from_client = $4
        WHERE id = $1 AND ended_at IS NULL
        RETURNING round(extract(epoch FROM ended_at - connected_at) * 1000)::bigint::float8 AS ms`,
      [id, e.reason, e.bytesToClient, e.bytesFromClient],
    );
    return row ? row.ms : null;
  }

  /** Refreshes the sessions this process serves; answers those whose key was revoked or expired since (to be closed). */
  async refresh(tx: EntityManager, ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const refreshed = await rows<{ id: string; revoked: boolean }>(
      tx,
      `UPDATE console_sessions s SET seen_at = now() WHERE s.id = ANY($1::uuid[]) AND s.ended_at IS NULL
       RETURNING s.id, EXISTS (SELECT 1 FROM api_keys k WHERE k.id = s.api_key_id AND ${UNUSABLE_KEY}) AS revoked`,
      [ids],
    );
    return refreshed.filter((r) => r.revoked).map((r) => r.id);
  }

  /** Tokens never presented are kept an hour past their expiry (to tell "expired" from "unknown"), then dropped. */
  async purgeUnused(tx: EntityManager): Promise<number> {
    return affected(tx, `DELETE FROM console_sessions WHERE connected_at IS NULL AND expires_at < now() - interval '1 hour'`);
  }

  /** Open sessions of one VM that are still refreshed (for the limit, checked again at connect). */
  async countOpen(tx: EntityManager, vmId: string, staleMs: number): Promise<number> {
    const row = await one<{ n: number }>(
      tx,
      `SELECT count(*)::int AS n FROM console_sessions
        WHERE vm_id = $1 AND connected_at IS NOT NULL AND ended_at IS NULL AND seen_at >= now() - $2 * interval '1 millisecond'`,
      [vmId, staleMs],
    );
    return row!.n;
  }
}
