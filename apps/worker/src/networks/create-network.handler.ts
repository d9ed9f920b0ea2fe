import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, LOGGER, NetworkRepository, OperationRepository, caught } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import type { JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { XENPLANE_TAG } from '../vms/vm-markers.js';
import { NETWORK_ID_KEY, NetworkOperationHandler, type NetworkContext } from './network-operation.handler.js';

/** network.create: the XAPI network (found again by our id if an earlier attempt made it), then the row. */
@Injectable()
@HandlesJobs(JobName.NetworkCreate)
export class CreateNetworkHandler extends NetworkOperationHandler<string> {
  constructor(
    @InjectDataSource() ds: DataSource,
    networks: NetworkRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    @Inject(LOGGER) logger: Logger,
  ) {
    super(ds, networks, operations, lifecycle, logger);
  }

  /** Answers the XAPI network's uuid. */
  async run(ctx: NetworkContext): Promise<string> {
    const { resource: network } = ctx;
    const xapi = await ctx.xapi();
    const made =
      (await xapi.findNetworkByOtherConfig(NETWORK_ID_KEY, network.id)) ??
      (await xapi.createNetwork({
        nameLabel: `xenplane-${network.name}`,
        nameDescription: `xenplane tenant network ${network.id} (${network.cidr}, VNI ${network.vni})`,
        otherConfig: { [NETWORK_ID_KEY]: network.id },
        tags: [XENPLANE_TAG],
        mtu: 1500,
      }));
    return made.uuid;
  }

  async succeed({ resource: network, operation }: NetworkContext, xapiUuid: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const patch = { status: 'active', xapiUuid };
      await this.lifecycle.apply(tx, this.target(network), 'made', { patch, operationId: operation.id });
      await this.operations.succeed(tx, network.tenantId, operation.id);
    });
  }

  /** A failed create leaves nothing behind and gives its quota back; unknown (XAPI unreachable) keeps it until a delete. */
  async fail(ctx: NetworkContext, failure: JobFailure): Promise<void> {
    const { resource: network, operation } = ctx;
    const unknown = caught(this.logger, 'failed network create: look for the partial network', undefined, { networkId: network.id });
    const xapi = await ctx.xapi().catch(unknown);
    const partial = xapi ? await xapi.findNetworkByOtherConfig(NETWORK_ID_KEY, network.id).catch(unknown) : undefined;
    const gone = partial
      ? await xapi!.destroyNetwork(partial.ref).then(
          () => true,
          () => false,
        )
      : partial === null;
    await this.ds.transaction(async (tx) => {
      await this.lifecycle.apply(tx, this.target(network), gone ? 'gone' : 'unconfirmed', { patch: { status: 'error' }, operationId: operation.id });
      await this.operations.fail(tx, network.tenantId, operation.id, failure.code, failure.detail);
    });
  }
}
