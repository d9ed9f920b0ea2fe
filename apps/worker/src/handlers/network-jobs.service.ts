import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  JobName, LOGGER, NetworkRepository, OperationRepository, QueueName, jobDuration, jobFailures,
  type NetworkEntity, type OperationEntity, type OperationJobData,
} from '@xenplane/core';
import { QuotaService } from '@xenplane/tenancy';
import type { XapiPool } from '@xenplane/xapi-driver';
import { XapiPoolsService } from '../xapi/xapi-pools.service.js';
import { classify, type JobFailure } from './job-failure.js';
import { XENPLANE_TAG } from './vm-job.context.js';

/** other_config key holding our network id on the XAPI network, so a retried create finds what it made. */
export const NETWORK_ID_KEY = 'xenplane-network-id';

const NETWORK_JOBS = new Set<string>([JobName.NetworkCreate, JobName.NetworkDelete]);

/**
 * network.create / network.delete: the XAPI network (the OVS data plane is libs/network's), then the row, the
 * operation and the quota together. Each step is safe to repeat; a network already made or gone counts as done.
 */
@Injectable()
export class NetworkJobsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly networks: NetworkRepository,
    private readonly operations: OperationRepository,
    private readonly quota: QuotaService,
    private readonly pools: XapiPoolsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  handles(jobName: string): boolean {
    return NETWORK_JOBS.has(jobName);
  }

  /** Runs one attempt; throws to let BullMQ retry, records the failure when retrying cannot help or none is left. */
  async run(job: Job<OperationJobData>, operation: OperationEntity): Promise<void> {
    const { tenantId } = operation;
    const network = await this.networks.find(tenantId, operation.resourceId);
    if (!network) throw new Error(`operation ${operation.id} names missing network ${operation.resourceId}`);
    await this.operations.start(tenantId, operation.id);
    const end = jobDuration.startTimer({ queue: QueueName.VmLifecycle, job: job.name });
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    let xapi: XapiPool | undefined;
    try {
      xapi = await this.pools.forPool(network.poolId);
      if (operation.kind === JobName.NetworkCreate) await this.create(xapi, network, operation);
      else await this.destroy(xapi, network, operation);
      end({ outcome: 'succeeded' });
      this.logger.info({ job: job.name, networkId: network.id }, 'operation succeeded');
    } catch (err) {
      const failure = classify(err);
      jobFailures.inc({ queue: QueueName.VmLifecycle, job: job.name, code: failure.code });
      if (!failure.terminal && !lastAttempt) {
        end({ outcome: 'retry' });
        this.logger.warn({ job: job.name, attempt: job.attemptsMade + 1, err: failure.detail }, 'operation attempt failed; will retry');
        throw err;
      }
      await this.failed(xapi, network, operation, failure);
      end({ outcome: 'failed' });
      this.logger.warn({ job: job.name, code: failure.code, detail: failure.detail }, 'operation failed');
    }
  }

  private async create(xapi: XapiPool, network: NetworkEntity, operation: OperationEntity): Promise<void> {
    const made = (await xapi.findNetworkByOtherConfig(NETWORK_ID_KEY, network.id)) ?? (await xapi.createNetwork({
      nameLabel: `xenplane-${network.name}`,
      nameDescription: `xenplane tenant network ${network.id} (${network.cidr}, VNI ${network.vni})`,
      otherConfig: { [NETWORK_ID_KEY]: network.id },
      tags: [XENPLANE_TAG],
      mtu: 1500,
    }));
    await this.ds.transaction(async (tx) => {
      await this.networks.update(network.tenantId, network.id, { status: 'active', xapiUuid: made.uuid }, tx);
      await this.operations.succeed(network.tenantId, operation.id, tx);
    });
  }

  private async destroy(xapi: XapiPool, network: NetworkEntity, operation: OperationEntity): Promise<void> {
    const found = await xapi.findNetworkByOtherConfig(NETWORK_ID_KEY, network.id);
    if (found) await xapi.destroyNetwork(found.ref);
    await this.ds.transaction(async (tx) => {
      await this.networks.update(network.tenantId, network.id, { status: 'deleted' }, tx);
      // Once per network, whichever operation (failed create or delete) releases first.
      await this.quota.release(tx, network.tenantId, { networks: 1 }, { resourceId: network.id, operationId: operation.id });
      await this.operations.succeed(network.tenantId, operation.id, tx);
    });
  }

  /** A failed create leaves nothing behind and gives its quota back; a failed delete keeps both until a retry. */
  private async failed(xapi: XapiPool | undefined, network: NetworkEntity, operation: OperationEntity, failure: JobFailure): Promise<void> {
    let gone = false;
    if (operation.kind === JobName.NetworkCreate && xapi) {
      const partial = await xapi.findNetworkByOtherConfig(NETWORK_ID_KEY, network.id).catch(() => undefined);
      // Unknown when XAPI could not be asked: the quota stays charged until a delete confirms the network is gone.
      gone = partial ? await xapi.destroyNetwork(partial.ref).then(() => true, () => false) : partial === null;
    }
    await this.ds.transaction(async (tx) => {
      await this.networks.update(network.tenantId, network.id, { status: 'error' }, tx);
      if (gone) await this.quota.release(tx, network.tenantId, { networks: 1 }, { resourceId: network.id, operationId: operation.id });
      await this.operations.fail(network.tenantId, operation.id, failure.code, failure.detail, tx);
    });
  }
}
