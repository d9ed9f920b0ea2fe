import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, LOGGER, NetworkRepository, OperationRepository } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import type { JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { NETWORK_ID_KEY, NetworkOperationHandler, type NetworkContext } from './network-operation.handler.js';

/** network.delete: the XAPI network goes (already gone counts as done), then the row and its quota together. */
@Injectable()
@HandlesJobs(JobName.NetworkDelete)
export class DeleteNetworkHandler extends NetworkOperationHandler {
  constructor(
    @InjectDataSource() ds: DataSource,
    networks: NetworkRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    @Inject(LOGGER) logger: Logger,
  ) {
    super(ds, networks, operations, lifecycle, logger);
  }

  async run(ctx: NetworkContext): Promise<void> {
    const xapi = await ctx.xapi();
    const found = await xapi.findNetworkByOtherConfig(NETWORK_ID_KEY, ctx.resource.id);
    if (found) await xapi.destroyNetwork(found.ref);
  }

  async succeed({ resource: network, operation }: NetworkContext): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.lifecycle.apply(tx, this.target(network), 'gone', { patch: { status: 'deleted' }, operationId: operation.id });
      await this.operations.succeed(tx, network.tenantId, operation.id);
    });
  }

  /** A failed delete keeps the network and its quota until a retry. */
  async fail({ resource: network, operation }: NetworkContext, failure: JobFailure): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.networks.update(tx, network.tenantId, network.id, { status: 'error' });
      await this.operations.fail(tx, network.tenantId, operation.id, failure.code, failure.detail);
    });
  }
}
