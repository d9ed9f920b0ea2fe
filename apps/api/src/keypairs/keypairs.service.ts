import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  DomainError,
  fieldError,
  KeypairRepository,
  NotFoundError,
  parseSshPublicKey,
  SshKeyError,
  type KeypairEntity,
  type Page,
  type PageRequest,
} from '@xenplane/core';
import { QuotaService, TenantAccessService } from '@xenplane/tenancy';

/** SSH keypairs: validated keys, names unique per tenant, each one unit of the `keypairs` quota while it exists. */
@Injectable()
export class KeypairsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keypairs: KeypairRepository,
    private readonly quota: QuotaService,
    private readonly tenants: TenantAccessService,
  ) {}

  async create(tenantId: string, name: string, publicKey: string): Promise<KeypairEntity> {
    let key;
    try {
      key = parseSshPublicKey(publicKey);
    } catch (e) {
      if (e instanceof SshKeyError) throw fieldError('publicKey', e.message);
      throw e;
    }
    const id = randomUUID();
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      await this.quota.charge(tx, tenantId, { keypairs: 1 }, { resourceId: id, operationId: id });
      const made = await this.keypairs.insert(tx, { id, tenantId, name, publicKey: key.line, fingerprint: key.fingerprint });
      if (!made)
        throw new DomainError('name_taken', `a keypair named ${JSON.stringify(name)} already exists`, {
          errors: [{ path: 'name', message: 'already in use' }],
        });
      return made;
    });
  }

  list(tenantId: string, page: PageRequest): Promise<Page<KeypairEntity>> {
    return this.keypairs.list(tenantId, page);
  }

  async get(tenantId: string, id: string): Promise<KeypairEntity> {
    const found = await this.keypairs.find(tenantId, id);
    if (!found) throw new NotFoundError('keypair', id);
    return found;
  }

  /** Deletes the keypair and gives its quota back; VMs made with it keep the key (their drives hold a copy). */
  async remove(tenantId: string, id: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      if (!(await this.keypairs.delete(tx, tenantId, id))) throw new NotFoundError('keypair', id);
      await this.quota.release(tx, tenantId, { keypairs: 1 }, { resourceId: id, operationId: id });
    });
  }
}
