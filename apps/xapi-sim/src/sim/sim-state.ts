// Everything one simulated pool owns: datamodel, object store, control switches, timers, seeded refs.
import { CallStats } from '../control/call-stats.js';
import { ConsoleLinks } from '../console/console-links.js';
import { SimControl } from '../control/sim-control.js';
import { apiReleases, paramsAt, type ApiRelease } from '../datamodel/api-versions.js';
import { loadDatamodel, type Datamodel, type MessageDef, type ParamDef } from '../datamodel/datamodel.js';
import type { XRecord } from '../datamodel/defaults.js';
import type { HostNet } from '../http/host-listeners.js';
import type { Logger } from '../log/logger.js';
import type { OvsFabric } from '../ovs/ovs-fabric.js';
import type { PoolMeta } from '../persist/pool-files.js';
import type { PoolPersistence } from '../persist/pool-persistence.js';
import type { VdiContent } from '../storage/vdi-content.js';
import { ObjectStore } from '../store/object-store.js';
import { Timers } from '../util/timers.js';
import { scalar } from '../datamodel/defaults.js';

export interface PoolOptions {
  username: string;
  password: string;
  hosts: number;
  seed: number;
  sessionTtlSeconds: number;
  apiVersion: string; // a key of apiReleases
  srBytes?: number; // size of each SR seeded for a new pool (seed-pool.ts srSizeBytes when absent)
}

export class SimState {
  readonly dm: Datamodel = loadDatamodel();
  readonly store = new ObjectStore(this.dm);
  readonly control: SimControl;
  readonly timers = new Timers();
  readonly sessionActivity = new Map<string, number>();
  readonly stats = new CallStats();
  readonly consoleLinks = new ConsoleLinks(); // open /console connections, cut when their domain goes
  net: HostNet | undefined; // set once the listeners are up
  dataplane: OvsFabric | undefined; // SIM_NETWORK=ovs only
  persistence: PoolPersistence | undefined; // with a data dir (SIM_DATA_DIR) only
  content!: VdiContent; // disk contents under <dataDir>/vdis, set by startSimulator
  populated = 0; // VMs made by POST /sim/populate / SIM_PREPOPULATE_VMS, for their names
  poolRef = '';
  hostRefs: string[] = [];
  private readonly domids = new Map<string, number>();

  constructor(
    readonly options: PoolOptions,
    readonly log: Logger,
  ) {
    this.control = new SimControl(options.seed);
  }

  get release(): ApiRelease {
    return apiReleases[this.options.apiVersion];
  }

  // A message's parameters in the presented xapi release (older ones lack later parameters).
  paramsOf(msg: MessageDef): ParamDef[] {
    return paramsAt(msg, this.release);
  }

  pool(): XRecord {
    return this.store.mustGet('pool', this.poolRef);
  }

  masterRef(): string {
    return scalar(this.pool().master);
  }

  // The host a request reached, by the local address it arrived on; anything unknown is host 1.
  hostAt(localAddress: string): string {
    const address = localAddress.replace(/^::ffff:/, '');
    return this.hostRefs.find((ref) => this.store.get('host', ref)?.address === address) ?? this.hostRefs[0];
  }

  // The pool's identity and counters beyond its objects, as persistence keeps them.
  meta(): PoolMeta {
    return {
      generation: this.store.generation,
      poolRef: this.poolRef,
      hostRefs: [...this.hostRefs],
      domids: Object.fromEntries(this.domids),
      populated: this.populated,
    };
  }

  applyMeta(meta: PoolMeta): void {
    this.poolRef = meta.poolRef;
    this.hostRefs = [...meta.hostRefs];
    this.domids.clear();
    for (const [host, domid] of Object.entries(meta.domids)) this.domids.set(host, domid);
    this.populated = meta.populated;
  }

  // Each host hands out increasing domids; dom0 is 0.
  nextDomid(hostRef: string): number {
    const next = (this.domids.get(hostRef) ?? 0) + 1;
    this.domids.set(hostRef, next);
    return next;
  }

  // Resolves on the next store change, after `ms`, or at shutdown, whichever comes first.
  waitForChange(ms: number): Promise<void> {
    const wake = new AbortController();
    const unsubscribe = this.store.onChange(() => wake.abort());
    return this.timers.sleep(ms, wake.signal).finally(unsubscribe);
  }

  // Counts of every table, as event.from's valid_ref_counts and GET /sim/state report them.
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.dm.classes.values()) if (c.messages.has('get_all')) out[c.name] = this.store.count(c.name);
    return out;
  }
}
