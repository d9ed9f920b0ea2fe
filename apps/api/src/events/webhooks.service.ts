import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import {
  DomainError,
  LOGGER,
  NotFoundError,
  SecretBox,
  WebhookRepository,
  caught,
  fieldError,
  webhookUrlProblem,
  type Page,
  type PageRequest,
  type WebhookEntity,
} from '@xenplane/core';
import { TenantAccessService } from '@xenplane/tenancy';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';

/** Tenants' webhooks: a checked URL, a secret shown once and sealed at rest; the worker delivers (never this process). */
@Injectable()
export class WebhooksService implements OnApplicationBootstrap {
  private readonly box: SecretBox | undefined;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly webhooks: WebhookRepository,
    private readonly tenants: TenantAccessService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.box = config.USER_DATA_KEY ? new SecretBox(config.USER_DATA_KEY) : undefined;
  }

  /** Secrets stored before they were sealed (migration 1764000035000) are sealed now, once a key is configured. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.box) return;
    const box = this.box;
    try {
      for (const w of await this.webhooks.plainSecrets())
        await this.ds.transaction((tx) => this.webhooks.sealSecret(tx, w.id, w.secret, box.seal(w.secret)));
    } catch (err) {
      caught(this.logger, 'webhooks: sealing plain secrets', undefined)(err);
    }
  }

  /** The new webhook and its secret (in this answer only). */
  async create(tenantId: string, url: string, events: string[]): Promise<{ webhook: WebhookEntity; secret: string }> {
    const problem = await webhookUrlProblem(url, this.config.WEBHOOK_ALLOW_PRIVATE);
    if (problem) throw fieldError('url', problem);
    if (!this.box) throw new DomainError('unavailable', 'webhooks need USER_DATA_KEY (their secrets are sealed with it); ask the operator');
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const secretSealed = this.box.seal(secret);
    const limit = this.config.WEBHOOKS_MAX_PER_TENANT;
    const webhook = await this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const open = await this.webhooks.countLocked(tx, tenantId);
      if (open >= limit)
        throw new DomainError('webhook_limit_reached', `the tenant already has ${open} webhooks (at most ${limit}); delete one first`, {
          limit,
          open,
        });
      return this.webhooks.insert(tx, { id: randomUUID(), tenantId, url, events: [...new Set(events)], secretSealed });
    });
    return { webhook, secret };
  }

  list(tenantId: string | null, page: PageRequest): Promise<Page<WebhookEntity>> {
    return tenantId === null ? this.webhooks.listAllTenants(page) : this.webhooks.list(tenantId, page);
  }

  async get(tenantId: string, id: string): Promise<WebhookEntity> {
    const found = await this.webhooks.find(tenantId, id);
    if (!found) throw new NotFoundError('webhook', id);
    return found;
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      if (!(await this.webhooks.delete(tx, tenantId, id))) throw new NotFoundError('webhook', id);
    });
  }
}
