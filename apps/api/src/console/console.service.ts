import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditRepository, DomainError, InvalidStateError, NotFoundError, VmRepository, type NewAuditEntry } from '@xenplane/core';
import { hashSecret, type Principal } from '@xenplane/tenancy';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import { ConsoleSessionRepository, type ConsoleClaim, type ConsoleEnd, type ConsoleOwner, type LostSession } from './console-session.repository.js';

/** Where clients connect with their token (the gateway's WebSocket path). */
export const CONSOLE_CONNECT_PATH = '/v1/consoles/connect';
/** A token must be presented within this long. */
export const CONSOLE_TOKEN_TTL_MS = 30_000;
/** How often a process refreshes its open sessions; one not refreshed for STALE_MS belonged to a process that died. */
export const CONSOLE_REFRESH_MS = 10_000;
const STALE_MS = 3 * CONSOLE_REFRESH_MS;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** A session the gateway may serve: the token was good, the VM running, and a place free. */
export interface ClaimedSession extends ConsoleOwner {
  poolId: string;
  xapiUuid: string;
}

const unauthenticated = () => new DomainError('unauthenticated', 'the console token is unknown, already used or expired; ask for a new one');

/** Console rules: who may open one, on which VM, how many at once, and the audit of each session. */
@Injectable()
export class ConsoleService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly sessions: ConsoleSessionRepository,
    private readonly vms: VmRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** A single-use token for the VM's console, bound to the tenant, the VM and the calling key. */
  async issue(p: Principal, tenantId: string, vmId: string, baseUrl: string): Promise<{ url: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = await this.ds.transaction(async (tx) => {
      const vm = await this.vms.find(tenantId, vmId, tx);
      if (!vm) throw new NotFoundError('vm', vmId);
      if (vm.status !== 'running') throw new InvalidStateError(`the VM is ${vm.status}; a console needs it running`, { status: vm.status });
      const full = this.fullRefusal(await this.sessions.countOpen(tx, vmId, STALE_MS));
      if (full) throw full;
      return this.sessions.insertToken(tx, {
        id: randomUUID(),
        tenantId,
        vmId,
        apiKeyId: p.keyId,
        role: p.role,
        tokenHash: hashSecret(token),
        ttlMs: CONSOLE_TOKEN_TTL_MS,
      });
    });
    return { url: `${baseUrl}${CONSOLE_CONNECT_PATH}?token=${token}`, expiresAt };
  }

  /**
   * Spends a presented token. Any refusal after the token proved good (VM not running, no place) still spends it
   * and is audited; an unknown, used or expired token, or one whose key was revoked, is 401.
   */
  async claim(token: string): Promise<ClaimedSession> {
    if (!TOKEN_RE.test(token)) throw unauthenticated();
    const outcome = await this.ds.transaction(async (tx): Promise<ClaimedSession | DomainError> => {
      const c = await this.sessions.lockByToken(tx, hashSecret(token));
      if (!c || c.used || c.expired || c.keyRevoked) return unauthenticated();
      await this.auditLost(tx, await this.sessions.endLost(tx, STALE_MS, c.vmId));
      const open = await this.sessions.lockVmSessions(tx, c.vmId);
      await this.sessions.markConnected(tx, c.id);
      const refusal = this.refusalFor(c, open);
      if (refusal) await this.record(tx, c, { reason: refusal.code, bytesToClient: 0, bytesFromClient: 0 }, refusal);
      return (
        refusal ?? {
          id: c.id,
          tenantId: c.tenantId,
          vmId: c.vmId,
          apiKeyId: c.apiKeyId,
          apiKeyName: c.apiKeyName,
          role: c.role,
          poolId: c.poolId!,
          xapiUuid: c.xapiUuid!,
        }
      );
    });
    if (outcome instanceof DomainError) throw outcome;
    return outcome;
  }

  /** Ends a session and writes its audit row (with its duration) in one transaction; answers the duration. */
  finish(s: ClaimedSession, end: ConsoleEnd, failure?: DomainError): Promise<number | null> {
    return this.ds.transaction((tx) => this.record(tx, s, end, failure));
  }

  /** Keeps this process's sessions counted; answers those whose key has been revoked since, to be closed. */
  refresh(ids: string[]): Promise<string[]> {
    return this.ds.transaction(async (tx) => {
      await this.sessions.purgeUnused(tx);
      const revoked = await this.sessions.refresh(tx, ids);
      await this.auditLost(tx, await this.sessions.endLost(tx, STALE_MS));
      return revoked;
    });
  }

  private refusalFor(c: ConsoleClaim, open: number): DomainError | undefined {
    if (c.vmStatus !== 'running' || !c.poolId || !c.xapiUuid)
      return new InvalidStateError(`the VM is ${c.vmStatus ?? 'gone'}; a console needs it running`, { status: c.vmStatus });
    return this.fullRefusal(open);
  }

  private fullRefusal(open: number): DomainError | undefined {
    const limit = this.config.CONSOLE_MAX_SESSIONS_PER_VM;
    if (open >= limit)
      return new DomainError('console_limit_reached', `the VM already has ${open} open consoles (at most ${limit})`, { limit, open });
    return undefined;
  }

  private async record(tx: EntityManager, s: ConsoleOwner, end: ConsoleEnd, failure?: DomainError): Promise<number | null> {
    const durationMs = await this.sessions.end(tx, s.id, end);
    if (durationMs !== null) await this.audit.insert(tx, [auditEntry(s, failure ? null : durationMs, failure)]);
    return durationMs;
  }

  // Sessions of a process that died: audited with the time they were last known to be open.
  private async auditLost(tx: EntityManager, lost: LostSession[]): Promise<void> {
    await this.audit.insert(
      tx,
      lost.map((s) => auditEntry(s, s.durationMs)),
    );
  }
}

/** A console session's audit row: the session id stands where a request's id would. */
function auditEntry(s: ConsoleOwner, durationMs: number | null, failure?: DomainError): NewAuditEntry {
  return {
    id: randomUUID(),
    tenantId: s.tenantId,
    apiKeyId: s.apiKeyId,
    apiKeyName: s.apiKeyName,
    role: s.role,
    method: 'CONSOLE',
    route: CONSOLE_CONNECT_PATH,
    path: CONSOLE_CONNECT_PATH,
    resourceId: s.vmId,
    status: failure ? failure.status : 101,
    outcome: failure ? 'failed' : 'succeeded',
    errorCode: failure ? failure.code : null,
    requestId: s.id,
    durationMs,
  };
}
