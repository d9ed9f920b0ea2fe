import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  DomainError,
  fieldError,
  hostnameFromName,
  KeypairRepository,
  SecretBox,
  VmBootstrapRepository,
  type VmBootstrapShown,
} from '@xenplane/core';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import { USER_DATA_MAX, type CreateVmDto } from './vm.dto.js';

/** What a VM's config drive is built from: host name, the keys of its keypairs, and its user-data sealed at rest. */
@Injectable()
export class VmBootstrapService {
  private readonly box: SecretBox | undefined;

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    private readonly keypairs: KeypairRepository,
    private readonly bootstrap: VmBootstrapRepository,
  ) {
    this.box = config.USER_DATA_KEY ? new SecretBox(config.USER_DATA_KEY) : undefined;
  }

  /** Checks what needs no lock (sizes, the key to seal with) before the create's transaction starts. */
  precheck(dto: CreateVmDto): void {
    if (dto.userData == null) return;
    const bytes = Buffer.byteLength(dto.userData, 'utf8');
    if (bytes > USER_DATA_MAX) throw fieldError('userData', `user-data is ${bytes} bytes; at most ${USER_DATA_MAX} (64 KiB) are accepted`);
    if (!this.box) throw new DomainError('unavailable', 'user-data needs USER_DATA_KEY set on the API and the workers');
  }

  /** Records the VM's bootstrap row in the create's transaction; 400 on a keypair that is not the tenant's. */
  async record(tx: EntityManager, tenantId: string, vmId: string, vmName: string, dto: CreateVmDto): Promise<VmBootstrapShown> {
    const ids = dto.keypairIds ?? [];
    const found = new Map((await this.keypairs.findMany(tenantId, ids, tx)).map((k) => [k.id, k]));
    const missing = ids.findIndex((id) => !found.has(id));
    if (missing >= 0) throw fieldError(`keypairIds.${missing}`, 'no such keypair');
    const userData = dto.userData ?? undefined;
    const hostname = (dto.hostname ?? hostnameFromName(vmName)).toLowerCase();
    await this.bootstrap.insert(tx, {
      vmId,
      tenantId,
      hostname,
      keypairIds: ids,
      sshKeys: ids.map((id) => found.get(id)!.publicKey),
      userDataSealed: userData === undefined ? null : this.box!.seal(userData),
      userDataSha256: userData === undefined ? null : createHash('sha256').update(userData, 'utf8').digest('hex'),
    });
    return { hostname, keypairIds: ids };
  }
}
