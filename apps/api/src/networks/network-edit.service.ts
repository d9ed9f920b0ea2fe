import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InvalidStateError, NetworkRepository, NotFoundError, ValidationFailedError } from '@xenplane/core';
import { intToIp, parseTenantCidr } from '@xenplane/network/ipam';
import { detailsOf } from '../common/details.dto.js';
import type { UpdateNetworkDto } from './network.dto.js';
import type { ShownNetwork } from './networks.service.js';

/** PATCH /v1/networks/:id: name, description and tags, changed at once (nothing on the pool depends on them). */
@Injectable()
export class NetworkEditService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly networks: NetworkRepository,
  ) {}

  async update(tenantId: string, id: string, dto: UpdateNetworkDto): Promise<ShownNetwork> {
    const change = detailsOf(dto);
    if (!Object.keys(change).length) throw new ValidationFailedError([{ path: '', message: 'give at least one of name, description, tags' }]);
    return this.ds.transaction(async (tx) => {
      const found = await this.networks.findLocked(tx, tenantId, id, 'write');
      if (!found) throw new NotFoundError('network', id);
      if (found.status === 'deleted') {
        throw new InvalidStateError('cannot change a network that is deleted', { currentStatus: found.status, action: 'update' });
      }
      await this.networks.update(tx, tenantId, id, change);
      const n = (await this.networks.find(tenantId, id, tx))!;
      return { ...n, gateway: intToIp(parseTenantCidr(n.cidr).gateway) };
    });
  }
}
