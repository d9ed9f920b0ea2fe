import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InvalidStateError, NotFoundError, type ApiKeyEntity, type Page, type PageRequest } from '@xenplane/core';
import { ApiKeyRepository } from './api-key.repository.js';
import { assertRotatable, expiryOf, issueKey, type KeyRequest } from './key-issue.js';

/** Operator keys, one per person (named): the same tokens, hashing and expiry as tenant keys, with no tenant. */
@Injectable()
export class OperatorKeysService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keys: ApiKeyRepository,
  ) {}

  async create(req: KeyRequest, rotatedFrom: string | null = null): Promise<{ key: ApiKeyEntity; token: string }> {
    const expiresAt = expiryOf(req.expiresAt);
    return this.ds.transaction((tx) => issueKey(tx, this.keys, { tenantId: null, role: 'operator', name: req.name, expiresAt, rotatedFrom }));
  }

  /** A new key with the old one's name; the old one keeps working until it is revoked. */
  async rotate(keyId: string, expiresAt?: string | null): Promise<{ key: ApiKeyEntity; token: string }> {
    const old = await this.get(keyId);
    assertRotatable(old);
    return this.create({ name: old.name, expiresAt }, old.id);
  }

  list(page: PageRequest): Promise<Page<ApiKeyEntity>> {
    return this.keys.list(null, page);
  }

  async get(keyId: string): Promise<ApiKeyEntity> {
    const key = await this.keys.find(null, keyId);
    if (!key) throw new NotFoundError('operator key', keyId);
    return key;
  }

  /** Revokes the key (again: a no-op); the bootstrap identity follows its setting instead. */
  async revoke(keyId: string): Promise<void> {
    const key = await this.get(keyId);
    if (key.bootstrap) throw new InvalidStateError('the bootstrap identity is BOOTSTRAP_OPERATOR_TOKEN: unset it, or let it retire');
    await this.ds.transaction((tx) => this.keys.revoke(tx, null, keyId));
  }
}
