// A live monitor: its request, its table cache, and the change / resync events consumers subscribe to.
import { EventEmitter } from 'node:events';
import { encodeValue, type OvsdbRow } from './ovsdb-value.codec.js';
import type { Condition } from './ovsdb-operation.types.js';
import type { OvsdbSchema } from './ovsdb-schema.types.js';
import { OvsdbTableCache, type RowChange } from './ovsdb-table.cache.js';

/** What to monitor in one table. `where` is honoured by monitor_cond only. */
export interface MonitorTableSpec {
  columns?: string[];
  where?: readonly Condition[];
  select?: { initial?: boolean; insert?: boolean; delete?: boolean; modify?: boolean };
}

/** Tables to monitor, by name. */
export type MonitorSpec = Record<string, MonitorTableSpec>;

/** The protocol a monitor runs on. */
export type MonitorMethod = 'monitor_cond' | 'monitor';

/** Builds the third param of monitor_cond / monitor for a spec. */
export function encodeMonitorRequests(spec: MonitorSpec, method: MonitorMethod): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [table, s] of Object.entries(spec)) {
    const req: Record<string, unknown> = {};
    if (s.columns) req.columns = s.columns;
    if (s.select) req.select = s.select;
    if (method === 'monitor_cond' && s.where) req.where = s.where.map(([c, f, v]) => [c, f, encodeValue(v)]);
    out[table] = method === 'monitor_cond' ? [req] : req;
  }
  return out;
}

/**
 * A monitor registered with OvsdbClient. Events:
 * - `change` (RowChange[]): rows inserted, modified or deleted by a live update;
 * - `resync` (OvsdbTableCache): the cache was rebuilt from a fresh initial state after a reconnect.
 */
export class OvsdbMonitor extends EventEmitter {
  private current: OvsdbTableCache;
  /** The method actually in use (monitor_cond, or monitor when the server lacks it). */
  method: MonitorMethod;

  constructor(
    readonly id: string,
    readonly db: string,
    readonly spec: MonitorSpec,
    requested: MonitorMethod,
    private readonly cancelFn: (m: OvsdbMonitor) => Promise<void>,
  ) {
    super();
    this.method = requested;
    this.current = new OvsdbTableCache();
  }

  /** The replica; replaced wholesale on resync, so read it through this getter each time. */
  get cache(): OvsdbTableCache {
    return this.current;
  }

  /** Rows of a table as `[uuid, row]` pairs. */
  rows(table: string): [string, OvsdbRow][] {
    return [...this.current.table(table)];
  }

  /** Stops the monitor on the server and forgets it locally. */
  cancel(): Promise<void> {
    return this.cancelFn(this);
  }

  /** @internal Installs the initial state returned by the monitor request. */
  reset(initial: unknown, method: MonitorMethod, schema: OvsdbSchema | undefined, isResync: boolean): void {
    this.method = method;
    const cache = new OvsdbTableCache(schema);
    if (method === 'monitor_cond') cache.applyUpdate2(initial);
    else cache.applyUpdate(initial);
    this.current = cache;
    if (isResync) this.emit('resync', cache);
  }

  /** @internal Applies a live notification. */
  apply(kind: 'update' | 'update2', updates: unknown): void {
    const changes: RowChange[] = kind === 'update2' ? this.current.applyUpdate2(updates) : this.current.applyUpdate(updates);
    if (changes.length > 0) this.emit('change', changes);
  }
}
