import type { Duplex, Readable } from 'node:stream';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError, InvalidStateError, LOGGER, PoolRepository, poolCredentials, SecretBox } from '@xenplane/core';
import { XapiClient, XapiError, XapiPool, XapiStorage, XapiTransportError, type VdiFormat } from '@xenplane/xapi-driver';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';

// The VM is not (or no longer) running on the pool: it has no console there.
const NOT_RUNNING = new Set(['NO_CONSOLE', 'UUID_INVALID', 'HANDLE_INVALID', 'VM_BAD_POWER_STATE']);

/**
 * The API's one connection towards pools (docs/ARCHITECTURE.md, "Consoles"): one XAPI client per pool, logged in
 * with the pool's stored credentials, used only to resolve a VM's console location at connect time and open its
 * byte stream, and to read an image's golden disk back (GET /v1/images/:id/file). The XAPI session stays inside the client; nothing here logs or returns it.
 */
@Injectable()
export class PoolConsoleConnector implements OnApplicationShutdown {
  private readonly clients = new Map<string, Promise<XapiPool>>();
  private readonly box: SecretBox | undefined;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly pools: PoolRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.box = config.POOL_ENCRYPTION_KEY ? new SecretBox(config.POOL_ENCRYPTION_KEY) : undefined;
  }

  /** Opens the VM's rfb console, resolving its location now (after a reboot or migration it is another one). */
  async open(poolId: string, vmUuid: string, signal: AbortSignal): Promise<Duplex> {
    const pool = await this.pool(poolId);
    try {
      const ref = await pool.client.call<string>('VM.get_by_uuid', vmUuid);
      return await pool.openVmConsole(ref, { signal, timeoutMs: 15_000 });
    } catch (e) {
      if (e instanceof XapiError && NOT_RUNNING.has(e.code)) throw new InvalidStateError('the VM is not running on its pool, so it has no console');
      // Only the code or kind: XAPI error parameters may name a session.
      const reason =
        e instanceof XapiError ? e.code : e instanceof XapiTransportError ? `${e.kind} ${String(e.details.status ?? '')}`.trim() : 'error';
      this.logger.warn({ poolId, vmUuid, reason }, 'console: the pool did not open the console');
      throw new DomainError('unavailable', 'the pool did not open the console; retry shortly', { retryAfter: 5 });
    }
  }

  /** A golden disk's bytes from `/export_raw_vdi` (a read: it changes nothing on the pool), streamed with backpressure. */
  async exportDisk(poolId: string, vdiUuid: string, format: VdiFormat): Promise<Readable> {
    const pool = await this.pool(poolId);
    try {
      const ref = await pool.client.call<string>('VDI.get_by_uuid', vdiUuid);
      return await new XapiStorage(pool.client).exportVdi(ref, { format });
    } catch (e) {
      const reason = e instanceof XapiError ? e.code : e instanceof XapiTransportError ? e.kind : 'error';
      this.logger.warn({ poolId, vdiUuid, reason }, 'image download: the pool did not export the disk');
      throw new DomainError('unavailable', 'the pool did not export the disk; retry shortly', { retryAfter: 5 });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const all = await Promise.allSettled([...this.clients.values()]);
    this.clients.clear();
    const pools = all.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
    await Promise.all(pools.map((p) => p.client.close().catch(() => undefined)));
  }

  private pool(poolId: string): Promise<XapiPool> {
    let entry = this.clients.get(poolId);
    if (!entry) {
      entry = this.connect(poolId);
      this.clients.set(poolId, entry);
      entry.catch(() => this.clients.delete(poolId));
    }
    return entry;
  }

  private async connect(poolId: string): Promise<XapiPool> {
    const row = await this.pools.find(poolId);
    if (!row) throw new DomainError('unavailable', 'the VM has no registered pool');
    let credentials;
    try {
      credentials = poolCredentials(row, this.config, this.box, 'API');
    } catch {
      throw new DomainError('unavailable', "this API cannot log in to the VM's pool (POOL_ENCRYPTION_KEY)");
    }
    return new XapiPool(new XapiClient({ ...credentials, originator: 'xenplane-console', callTimeoutMs: 15_000, maxConcurrency: 16 }));
  }
}
