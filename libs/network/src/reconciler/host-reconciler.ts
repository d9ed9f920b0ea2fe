// One host's OVS reconciler: a serialized, coalescing loop from (DB view + OVSDB cache) to tunnels and flows.
import { dataplaneDrift, dataplaneFlowChanges, dataplanePorts, dataplaneReconcileDuration, dataplaneReconciles } from './dataplane.metrics.js';
import { AppliedFlows } from '../flows/applied-flows.js';
import { applyFlows, checkCanary } from '../flows/flow-applier.js';
import { generateFlows } from '../flows/flow-generator.js';
import type { OvsdbMonitor } from '../ovsdb/ovsdb-monitor.handle.js';
import { readFileSync } from 'node:fs';
import type { OvsSslFiles } from '../flows/ofctl.js';
import { OvsdbClient } from '../ovsdb/ovsdb.client.js';
import { parseEndpoint, type OvsdbEndpoint } from '../ovsdb/ovsdb-transport.factory.js';
import { vifInterfacesFromCache, VSWITCH_DB, type VifInterface } from '../ovsdb/vswitch.queries.js';
import type { DataplaneHost, NicBinding, PoolDataplaneView } from './dataplane.types.js';
import { desiredHostState } from './desired-state.js';
import { ensureTopology, ovsVersionFromCache, ownTunnels, topologyMonitorSpec } from './ovs-topology.js';
import { ensurePatchPorts } from './provider-topology.js';

/** Where one host's OVS is reached. */
export interface HostEndpoints extends DataplaneHost {
  ovsdb: string;
  openflow: string;
  bridge: string;
}

export interface HostReconcilerOptions {
  host: HostEndpoints;
  /** The pool's desired state; a throw skips the pass (nothing is deleted on errors). */
  loadView(): Promise<PoolDataplaneView>;
  /** Publishes this host's observed bindings (called only when they changed). */
  publishBindings(hostId: string, bindings: NicBinding[]): Promise<void>;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
  canaryIntervalMs: number;
  sweepIntervalMs: number;
  /**
   * Coalesces bursts of triggers (one OVSDB transaction's updates) into one pass; default 2 ms. Short, because a
   * plug waits for it and triggers during a pass already collapse into the next one.
   */
  debounceMs?: number;
  /** Client TLS files for `ssl:` OVSDB and OpenFlow endpoints. */
  ssl?: OvsSslFiles;
}

/**
 * The OVSDB endpoint, with TLS material for `ssl:`. As OVS's own tools do, the peer's certificate is verified
 * against the CA only: OVS PKI certificates name the switch, not its address.
 */
export function ovsdbEndpoint(remote: string, ssl: OvsSslFiles | undefined): OvsdbEndpoint {
  if (!remote.startsWith('ssl:')) return parseEndpoint(remote);
  if (!ssl) throw new Error(`${remote} needs TLS files (OVS_SSL_KEY, OVS_SSL_CERT, OVS_SSL_CA)`);
  const e = parseEndpoint(remote, { key: readFileSync(ssl.privateKey), cert: readFileSync(ssl.certificate), ca: readFileSync(ssl.caCert) });
  return { ...e, checkServerIdentity: () => undefined } as OvsdbEndpoint;
}

/** What the last pass did, for tests and logs. */
export interface PassResult {
  result: 'changed' | 'unchanged' | 'skipped';
  added: number;
  removed: number;
  deferred: number;
  /** True when the pass dumped the bridge's flows (a verify) instead of trusting the last applied set. */
  verified?: boolean;
}

const DEBOUNCE_MS = 2;
// Only OVSDB news: the pool's view from the database is what it was at the last pass (a DB change NOTIFYs 'db').
const OVSDB_ONLY = new Set(['ovsdb']);
// Triggers after which the last applied flow set may be wrong: those passes dump and diff the bridge.
const VERIFY_REASONS = new Set(['start', 'sweep', 'canary', 'ovsdb-reconnect', 'ovsdb-resync', 'retry']);

/** Owns one host until `stop()`; triggers: OVSDB changes, `trigger()` (DB news), a missing canary, a sweep. */
export class HostReconciler {
  private client: OvsdbClient | undefined;
  private monitor: OvsdbMonitor | undefined;
  private timers: NodeJS.Timeout[] = [];
  private dirty = false;
  private loop: Promise<void> | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private published = '';
  private stopped = false;
  lastPass: PassResult | undefined;
  readonly passes: { reason: string; result: PassResult }[] = [];
  private reasons = new Set<string>();
  /** What we last made the bridge hold; the sweep and the canary keep it honest. */
  private readonly applied = new AppliedFlows();
  /** The pool's view as last loaded; an OVSDB-only pass reuses it, so a plugged port is programmed without a DB read. */
  private view: PoolDataplaneView | undefined;

  constructor(private readonly opts: HostReconcilerOptions) {}

  private get hostLabel(): string {
    return this.opts.host.id;
  }

  /** Connects (retrying until stopped), monitors, and runs the first pass. */
  async start(): Promise<void> {
    const { host, log } = this.opts;
    for (let delay = 200; !this.stopped; delay = Math.min(delay * 2, 5000)) {
      let client: OvsdbClient | undefined;
      try {
        client = new OvsdbClient({ endpoint: ovsdbEndpoint(host.ovsdb, this.opts.ssl), reconnect: { initialDelayMs: 200, maxDelayMs: 5000 } });
        await client.connect();
        this.monitor = await client.monitor(VSWITCH_DB, topologyMonitorSpec());
        this.client = client;
        break;
      } catch (err) {
        await client?.close();
        log.warn({ hostId: host.id, ovsdb: host.ovsdb, err: (err as Error).message }, 'cannot reach host OVSDB; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    if (this.stopped) await this.client?.close(); // stop() ran while we were connecting
    if (this.stopped || !this.client || !this.monitor) return;
    this.monitor.on('change', () => this.trigger('ovsdb'));
    this.monitor.on('resync', () => this.trigger('ovsdb-resync'));
    this.client.on('connect', () => this.trigger('ovsdb-reconnect'));
    this.client.on('disconnect', (err: Error) => {
      if (!this.stopped) log.warn({ hostId: host.id, err: err.message }, 'host OVSDB disconnected');
    });
    this.timers.push(setInterval(() => void this.checkCanary(), this.opts.canaryIntervalMs));
    this.timers.push(setInterval(() => this.trigger('sweep'), this.opts.sweepIntervalMs));
    log.info({ hostId: host.id, ovsdb: host.ovsdb, bridge: host.bridge }, 'reconciling host OVS');
    this.trigger('start');
  }

  /** Asks for a pass soon; passes never overlap and bursts collapse into one. */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.reasons.add(reason);
    this.dirty = true;
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.loop ??= this.drain().finally(() => (this.loop = undefined));
    }, this.opts.debounceMs ?? DEBOUNCE_MS);
  }

  /** Resolves once no pass is running or pending (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.loop || this.debounce) await (this.loop ?? new Promise((r) => setTimeout(r, this.opts.debounceMs ?? DEBOUNCE_MS)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    clearTimeout(this.debounce);
    this.debounce = undefined;
    await this.loop;
    await this.client?.close();
  }

  private async drain(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      const verify = [...this.reasons].some((r) => VERIFY_REASONS.has(r));
      const reload = [...this.reasons].some((r) => !OVSDB_ONLY.has(r));
      const reason = [...this.reasons].join(',');
      this.reasons.clear();
      const end = dataplaneReconcileDuration.startTimer({ host: this.hostLabel });
      try {
        const result = await this.pass(verify, reload);
        this.lastPass = result;
        this.passes.push({ reason, result });
        if (this.passes.length > 50) this.passes.shift();
        dataplaneReconciles.inc({ host: this.hostLabel, result: result.result });
      } catch (err) {
        dataplaneReconciles.inc({ host: this.hostLabel, result: 'failed' });
        this.applied.forget();
        this.view = undefined;
        this.opts.log.warn({ hostId: this.opts.host.id, reason, err: (err as Error).message }, 'host reconcile failed; will retry');
        // Bounded retry: the next trigger or sweep may come late, so schedule one.
        setTimeout(() => this.trigger('retry'), 1000).unref();
      } finally {
        end();
      }
    }
  }

  /** The cached view unless told to reload or a plugged VIF is one it does not know (a VM's uuid recorded since). */
  private async loadView(reload: boolean, vifs: VifInterface[]): Promise<PoolDataplaneView> {
    const known = (v: PoolDataplaneView) => {
      const macs = new Set(v.nics.map((n) => `${n.vmXapiUuid}|${n.mac.toLowerCase()}`));
      return vifs.every((i) => !i.vmUuid || !i.attachedMac || macs.has(`${i.vmUuid}|${i.attachedMac.toLowerCase()}`));
    };
    if (!reload && this.view && known(this.view)) return this.view;
    this.view = await this.opts.loadView();
    return this.view;
  }

  private async pass(verify: boolean, reload: boolean): Promise<PassResult> {
    const { host } = this.opts;
    const monitor = this.monitor!;
    if (!this.client?.connected) return { result: 'skipped', added: 0, removed: 0, deferred: 0 };
    const view = await this.loadView(reload, vifInterfacesFromCache(monitor.cache));
    const tunnels = view.hosts.filter((h) => h.id !== host.id && h.tunnelIp).map((h) => ({ hostId: h.id, hostKey: h.key, remoteIp: h.tunnelIp! }));
    const topo = await ensureTopology(this.client, monitor.cache, host.bridge, tunnels);
    if (!topo) {
      this.opts.log.warn({ hostId: host.id, bridge: host.bridge }, 'integration bridge missing; nothing programmed');
      return { result: 'skipped', added: 0, removed: 0, deferred: 0 };
    }
    if (topo.bridgeFixed) {
      dataplaneDrift.inc({ host: this.hostLabel, kind: 'bridge' });
      this.applied.forget(); // vswitchd flushes a bridge's flows when its fail mode changes
    }
    if (topo.tunnelsAdded + topo.tunnelsRemoved + topo.tunnelsUpdated > 0) dataplaneDrift.inc({ host: this.hostLabel, kind: 'tunnels' });
    const ofports = new Map([...ownTunnels(monitor.cache)].map(([id, t]) => [id, t.ofport]));
    const patches = await ensurePatchPorts(this.client, monitor.cache, host.bridge, view.uplinks ?? []);
    const ovsVersion = ovsVersionFromCache(monitor.cache);
    const desired = desiredHostState(host, host.bridge, view, vifInterfacesFromCache(monitor.cache), ofports, patches, ovsVersion);
    const verified = verify || !this.applied.known;
    const opts = { target: host.openflow, ssl: this.opts.ssl, complete: desired.complete, applied: this.applied, verify: verified };
    const key = JSON.stringify(desired.bindings.map((b) => [b.vmId, b.device, b.iface, b.ofport]).sort());
    // What this host observes goes out with its flows, not after them: other hosts re-derive theirs meanwhile.
    const [applied] = await settleAll(
      applyFlows(opts, generateFlows(desired.state)),
      key === this.published ? undefined : this.opts.publishBindings(host.id, desired.bindings).then(() => (this.published = key)),
    );
    dataplanePorts.set({ host: this.hostLabel, state: 'bound' }, desired.state.ports.length);
    dataplanePorts.set({ host: this.hostLabel, state: 'pending' }, desired.pending.length);
    if (applied.added) dataplaneFlowChanges.inc({ host: this.hostLabel, change: 'added' }, applied.added);
    if (applied.removed) dataplaneFlowChanges.inc({ host: this.hostLabel, change: 'removed' }, applied.removed);
    if (applied.deferredDeletes) dataplaneFlowChanges.inc({ host: this.hostLabel, change: 'deferred' }, applied.deferredDeletes);
    if (applied.added + applied.removed > 0) dataplaneDrift.inc({ host: this.hostLabel, kind: 'flows' });
    const changed = applied.added + applied.removed > 0;
    const result = changed ? 'changed' : 'unchanged';
    return { result, added: applied.added, removed: applied.removed, deferred: applied.deferredDeletes, verified };
  }

  /** vswitchd keeps no flows across a restart: a missing canary means reinstall everything now. */
  private async checkCanary(): Promise<void> {
    if (this.loop || this.stopped || !this.client?.connected) return;
    const present = await checkCanary({ target: this.opts.host.openflow, ssl: this.opts.ssl }).catch(() => false);
    if (present) return;
    dataplaneDrift.inc({ host: this.hostLabel, kind: 'canary_missing' });
    this.applied.forget();
    this.opts.log.warn({ hostId: this.opts.host.id }, 'canary flow missing (vswitchd restarted?); reinstalling flows');
    this.trigger('canary');
  }
}

/** Both settled (so no pass overlaps a still-running apply), then the first failure rethrown. */
async function settleAll<A>(a: Promise<A>, b: Promise<unknown> | undefined): Promise<[A]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value];
}
