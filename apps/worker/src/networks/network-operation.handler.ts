import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { NetworkRepository, OperationRepository, type NetworkEntity, type OperationEntity } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import type { JobFailure } from '../pipeline/job-failure.js';
import type { OperationContext, OperationHandler } from '../pipeline/operation-handler.js';

export type NetworkContext = OperationContext<NetworkEntity>;

/** other_config key holding our network id on the XAPI network, so a retried create finds what it made. */
export const NETWORK_ID_KEY = 'xenplane-network-id';

/** What network jobs share: the row they load and the lifecycle they record. The OVS data plane is libs/network's. */
export abstract class NetworkOperationHandler<O = void> implements OperationHandler<NetworkEntity, O> {
  constructor(
    @InjectDataSource() protected readonly ds: DataSource,
    protected readonly networks: NetworkRepository,
    protected readonly operations: OperationRepository,
    protected readonly lifecycle: ResourceLifecycle,
    protected readonly logger: Logger,
  ) {}

  load(operation: OperationEntity): Promise<NetworkEntity | null> {
    return this.networks.find(operation.tenantId, operation.resourceId);
  }

  poolId(network: NetworkEntity): string {
    return network.poolId;
  }

  abstract run(ctx: NetworkContext): Promise<O>;
  abstract succeed(ctx: NetworkContext, result: O): Promise<void>;
  abstract fail(ctx: NetworkContext, failure: JobFailure): Promise<void>;

  protected target(network: NetworkEntity) {
    return { kind: 'network' as const, tenantId: network.tenantId, id: network.id };
  }
}
