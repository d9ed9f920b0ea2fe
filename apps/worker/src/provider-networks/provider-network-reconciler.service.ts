import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AdvisoryLocks, LOGGER, NotificationListener, ProviderNetworkRepository, caught, type ProviderNetworkEntity } from '@xenplane/core';
import { XapiError, type XapiPool } from '@xenplane/xapi-driver';
import { LockedPass } from '../locks/locked-pass.js';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { XENPLANE_TAG } from '../vms/vm-markers.js';

/** other_config key on a VLAN network we made: a retried pass finds it instead of making a second one. */
export const PROVIDER_NETWORK_KEY = 'xenplane-provider-network';
// A sweep picks up what a missed notification (or a pool that was down) left pending.
const SWEEP_MS = 5000;

/**
 * Makes provider networks real on their pools, one worker at a time: resolves an existing XAPI network's uplink
 * (bridge and VLAN tag), or makes a VLAN network with pool.create_VLAN_from_PIF; on delete, removes only what it made.
 * Level-triggered and safe to repeat: every step is found again by our other_config key after a crash.
 */
@Injectable()
export class ProviderNetworkReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pass: LockedPass;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly networks: ProviderNetworkRepository,
    private readonly pools: XapiPoolsService,
    private readonly notifications: NotificationListener,
    locks: AdvisoryLocks,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.pass = new LockedPass(locks, 'provider-networks', () => this.reconcileAll(), SWEEP_MS, caught(logger, 'provider-networks', undefined));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unlisten = await this.notifications
      .listen('provider_networks', () => void this.pass.kick())
      .catch(caught(this.logger, 'provider networks: LISTEN (sweeps only)', undefined));
    this.pass.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unlisten?.();
    await this.pass.stop();
  }

  /** One pass now (tests); resolves when it ends. */
  kick(): Promise<void> {
    return this.pass.kick();
  }

  private async reconcileAll(): Promise<void> {
    for (const n of await this.networks.toReconcile()) {
      await (n.status === 'pending' ? this.make(n) : this.remove(n)).catch((err: unknown) => {
        // A pool that is down or slow: left pending/deleting for the next sweep.
        this.logger.warn({ providerNetworkId: n.id, err: (err as Error).message }, 'provider network not reconciled; will retry');
      });
    }
  }

  private async make(n: ProviderNetworkEntity): Promise<void> {
    const xapi = await this.pools.forPool(n.poolId);
    try {
      const made = n.xapiNetworkUuid && !n.pifUuid ? null : await this.vlanNetwork(xapi, n);
      const uplink = await xapi.uplinkOf(made?.uuid ?? n.xapiNetworkUuid!);
      await this.networks.settle(this.ds.manager, n.id, 'pending', {
        status: 'active',
        xapiNetworkUuid: uplink.uuid,
        bridge: uplink.bridge,
        vlanTag: uplink.vlanTag,
        createdOnPool: made !== null,
        errorReason: null,
      });
      this.logger.info({ providerNetworkId: n.id, bridge: uplink.bridge, vlanTag: uplink.vlanTag }, 'provider network active');
    } catch (err) {
      if (!(err instanceof XapiError)) throw err;
      // The pool refused (no such network or PIF, VLAN_TAG_INVALID, PIF_IS_VLAN, ...): the operator must change it.
      await this.networks.settle(this.ds.manager, n.id, 'pending', {
        status: 'error',
        errorReason: `${err.code}${err.params.length ? ` ${err.params.join(' ')}` : ''}`,
      });
      this.logger.warn({ providerNetworkId: n.id, code: err.code }, 'provider network refused by the pool');
    }
  }

  /** Ours if an earlier pass made it, else a new one; recorded as created only with the row's activation. */
  private async vlanNetwork(xapi: XapiPool, n: ProviderNetworkEntity) {
    const found = await xapi.findNetworkByOtherConfig(PROVIDER_NETWORK_KEY, n.id);
    if (found) return found;
    return xapi.createVlanNetwork(n.pifUuid!, n.vlan!, {
      nameLabel: `xenplane-provider-${n.name}`,
      nameDescription: `xenplane provider network ${n.id} (${n.cidr}, VLAN ${n.vlan})`,
      otherConfig: { [PROVIDER_NETWORK_KEY]: n.id },
      tags: [XENPLANE_TAG],
    });
  }

  private async remove(n: ProviderNetworkEntity): Promise<void> {
    const xapi = await this.pools.forPool(n.poolId);
    const ours = await xapi.findNetworkByOtherConfig(PROVIDER_NETWORK_KEY, n.id);
    if (ours) await xapi.destroyVlanNetwork(ours.ref);
    await this.networks.settle(this.ds.manager, n.id, 'deleting', { status: 'deleted' });
  }
}
