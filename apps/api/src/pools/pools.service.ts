import { randomUUID, X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ConflictError,
  DomainError,
  fieldError,
  isUniqueViolation,
  HostRepository,
  NotFoundError,
  PoolRepository,
  PoolTemplateRepository,
  SecretBox,
  type HostEntity,
  type ListFilter,
  type Page,
  type PageRequest,
  type PoolEntity,
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
      if (isUniqueViolation(err)) throw new ConflictError(`a pool named "${p.name}" exists`);
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
