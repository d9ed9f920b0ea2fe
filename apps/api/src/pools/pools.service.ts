import { randomUUID, X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  DomainError,
  InvalidStateError,
  ValidationFailedError,
  fieldError,
  isUniqueViolation,
  HostRepository,
  NameTakenError,
  NotFoundError,
  PoolRepository,
  PoolTemplateRepository,
  SecretBox,
  VmRepository,
  type HostEntity,
  type ListFilter,
  type Page,
  type PageRequest,
  type PoolEntity,
  type PoolPlacementPatch,
  type PoolTemplate,
} from '@xenplane/core';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';

/** The trust a registration asks for, checked: one of a parseable CA certificate or a fingerprint, for https only. */
function tlsPin(p: { url: string; caCertificate?: string; tlsFingerprint?: string }): { tlsCaPem: string | null; tlsFingerprint: string | null } {
  const { caCertificate: ca, tlsFingerprint: fp } = p;
  if (ca !== undefined && fp !== undefined) throw fieldError('tlsFingerprint', 'give caCertificate or tlsFingerprint, not both');
  if ((ca !== undefined || fp !== undefined) && !p.url.startsWith('https:'))
    throw fieldError(ca !== undefined ? 'caCertificate' : 'tlsFingerprint', 'only for an https url');
  if (ca !== undefined) {
    const pems = ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (pems.length !== 1) throw fieldError('caCertificate', 'must be one PEM certificate (-----BEGIN CERTIFICATE-----)');
    try {
      new X509Certificate(pems[0]);
    } catch {
      throw fieldError('caCertificate', 'is not a readable X.509 certificate');
    }
    return { tlsCaPem: pems[0], tlsFingerprint: null };
  }
  const hex = fp?.replace(/:/g, '').toUpperCase();
  return { tlsCaPem: null, tlsFingerprint: hex ? hex.match(/../g)!.join(':') : null };
}

/** Pool registration: credentials are sealed here; workers connect, and report hosts and status. */
@Injectable()
export class PoolsService {
  private readonly box: SecretBox | undefined;

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly pools: PoolRepository,
    private readonly hosts: HostRepository,
    private readonly vms: VmRepository,
    private readonly poolTemplates: PoolTemplateRepository,
  ) {
    this.box = config.POOL_ENCRYPTION_KEY ? new SecretBox(config.POOL_ENCRYPTION_KEY) : undefined;
  }

  async register(p: {
    name: string;
    url: string;
    username: string;
    password: string;
    caCertificate?: string;
    tlsFingerprint?: string;
  }): Promise<PoolEntity> {
    if (!this.box) throw new DomainError('unavailable', 'pool registration needs POOL_ENCRYPTION_KEY set on the API and the workers');
    const tls = tlsPin(p);
    try {
      return await this.pools.insert(this.ds.manager, {
        id: randomUUID(),
        name: p.name,
        url: p.url.replace(/\/+$/, ''),
        username: p.username,
        passwordEnc: this.box.seal(p.password),
        ...tls,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new NameTakenError('pool', p.name);
      throw err;
    }
  }

  async get(id: string): Promise<{ pool: PoolEntity; hostCount: number }> {
    const pool = await this.pools.find(id);
    if (!pool) throw new NotFoundError('pool', id);
    return { pool, hostCount: (await this.hosts.countByPool()).get(id) ?? 0 };
  }

  async list(page: PageRequest, filter: ListFilter): Promise<{ page: Page<PoolEntity>; hostCounts: Map<string, number> }> {
    const [result, hostCounts] = await Promise.all([this.pools.list(page, filter), this.hosts.countByPool()]);
    return { page: result, hostCounts };
  }

  /** An operator's answer to a pool held for an identity mismatch (PoolRepository.resolveIdentity says what each means). */
  async resolveIdentity(id: string, action: 'adopt' | 'revert'): Promise<{ pool: PoolEntity; hostCount: number; vmsToReconcile: number }> {
    const resolved = await this.ds.transaction((tx) => this.pools.resolveIdentity(tx, id, action));
    if (!resolved) {
      const { pool } = await this.get(id);
      throw new InvalidStateError(`pool ${id} is ${pool.status}, not held for an identity mismatch`, { poolStatus: pool.status });
    }
    const vmsToReconcile = action === 'adopt' ? (await this.vms.listSettledInPool(id)).length : 0;
    return { pool: resolved, hostCount: (await this.hosts.countByPool()).get(id) ?? 0, vmsToReconcile };
  }

  /** Region, zone, weight and overcommit ratios (read by the scheduler from the next placement on), and the host failure grace. */
  async updatePlacement(id: string, patch: PoolPlacementPatch): Promise<{ pool: PoolEntity; hostCount: number }> {
    if (!Object.values(patch).some((v) => v !== undefined)) {
      throw new ValidationFailedError([
        { path: '', message: 'give at least one of region, zone, weight, cpuAllocationRatio, memoryAllocationRatio, hostFailureGraceSeconds' },
      ]);
    }
    const pool = await this.ds.transaction((tx) => this.pools.updatePlacement(tx, id, patch));
    if (!pool) throw new NotFoundError('pool', id);
    return { pool, hostCount: (await this.hosts.countByPool()).get(id) ?? 0 };
  }

  /** The operator's maintenance switch; the worker's evacuation pass does the rest (and puts the host back). */
  async setMaintenance(id: string, enabled: boolean): Promise<HostEntity> {
    const host = await this.ds.transaction((tx) => this.hosts.setMaintenance(tx, id, enabled));
    if (!host) throw new NotFoundError('host', id);
    return host;
  }

  listHosts(page: PageRequest, poolId: string | undefined, filter: ListFilter): Promise<Page<HostEntity>> {
    return this.hosts.list(page, poolId, filter);
  }

  /** What the pool offers to build images from, as its last sync saw it (the API never asks XAPI). */
  async templates(id: string, name?: string): Promise<{ pool: PoolEntity; templates: PoolTemplate[] }> {
    const pool = await this.pools.find(id);
    if (!pool) throw new NotFoundError('pool', id);
    return { pool, templates: await this.poolTemplates.list(id, name) };
  }
}
