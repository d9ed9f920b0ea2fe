// OVSDB (RFC 7047) client: one session at a time, reconnecting with backoff and re-monitoring.
import { EventEmitter } from 'node:events';
import { OvsdbMonitor, encodeMonitorRequests, type MonitorMethod, type MonitorSpec } from './ovsdb-monitor.handle.js';
import { decodeResults, encodeOperation, type OvsdbOperation, type ResultsOf } from './ovsdb-operation.types.js';
import { OvsdbDisconnectedError, OvsdbRpcConnection, OvsdbRpcError, type RpcTimings } from './ovsdb-rpc.connection.js';
import type { OvsdbSchema } from './ovsdb-schema.types.js';
import { describeEndpoint, openTransport, parseEndpoint, type OvsdbEndpoint } from './ovsdb-transport.factory.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './reconnect-backoff.policy.js';

/** Options of OvsdbClient. */
export interface OvsdbClientOptions extends Partial<RpcTimings> {
  /** Where to connect: an endpoint object or an OVS remote string (`unix:/p`, `tcp:h:p`). */
  endpoint: OvsdbEndpoint | string;
  connectTimeoutMs?: number;
  /** Reconnect settings, or false to stay disconnected after a failure. */
  reconnect?: Partial<BackoffOptions> | false;
}

/**
 * Events: `connect` ({ reconnected }), `disconnect` (Error), `reconnecting` ({ attempt, delayMs }),
 * `reconnect-failed` (Error) when a reconnect attempt or its re-monitoring fails, and
 * `echo-request` (params) after answering the server's inactivity probe.
 */
export class OvsdbClient extends EventEmitter {
  private readonly endpoint: OvsdbEndpoint;
  private readonly timings: RpcTimings;
  private readonly backoff: BackoffOptions | false;
  private readonly connectTimeoutMs: number;
  private conn?: OvsdbRpcConnection;
  private readonly monitors = new Map<string, OvsdbMonitor>();
  private readonly schemas = new Map<string, OvsdbSchema>();
  private monitorCondSupported = true;
  private nextMonitor = 1;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(opts: OvsdbClientOptions) {
    super();
    this.endpoint = typeof opts.endpoint === 'string' ? parseEndpoint(opts.endpoint) : opts.endpoint;
    this.timings = {
      echoIntervalMs: opts.echoIntervalMs ?? 5_000,
      echoTimeoutMs: opts.echoTimeoutMs ?? 5_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
    };
    this.backoff = opts.reconnect === false ? false : { ...DEFAULT_BACKOFF, ...opts.reconnect };
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  }

  /** Opens the first session; rejects if the server cannot be reached (no retry for the first one). */
  async connect(): Promise<void> {
    this.closing = false;
    await this.openSession(false);
  }

  /** True while a session is open. */
  get connected(): boolean {
    return this.conn?.isOpen ?? false;
  }

  /** Database names served (`list_dbs`). */
  async listDbs(): Promise<string[]> {
    return (await this.session().request('list_dbs', [])) as string[];
  }

  /** A database's schema (`get_schema`). */
  async getSchema(db: string): Promise<OvsdbSchema> {
    return (await this.session().request('get_schema', [db])) as OvsdbSchema;
  }

  /** Round-trips `echo`; resolves with the params the server sent back. */
  async echo(...params: unknown[]): Promise<unknown[]> {
    return (await this.session().request('echo', params)) as unknown[];
  }

  /**
   * Runs a transaction. Resolves with one typed result per operation, or rejects with
   * OvsdbTransactionError naming the failing operation (a failed `wait` gives error "timed out").
   */
  async transact<const Ops extends readonly OvsdbOperation[]>(db: string, ops: Ops, timeoutMs?: number): Promise<ResultsOf<Ops>> {
    const raw = await this.session().request('transact', [db, ...ops.map(encodeOperation)], timeoutMs);
    return decodeResults(ops, raw) as ResultsOf<Ops>;
  }

  /**
   * Starts a monitor (monitor_cond, or plain monitor if the server lacks it or `method` says so) and
   * resolves once its cache holds the initial state. It is re-issued on every reconnect.
   */
  async monitor(db: string, spec: MonitorSpec, opts: { method?: MonitorMethod } = {}): Promise<OvsdbMonitor> {
    const id = `xp-mon-${this.nextMonitor++}`;
    const m = new OvsdbMonitor(id, db, spec, opts.method ?? 'monitor_cond', (mon) => this.cancelMonitor(mon));
    await this.startMonitor(this.session(), m, false);
    this.monitors.set(id, m);
    return m;
  }

  /** Closes the session and stops reconnecting. Monitors are dropped. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    this.monitors.clear();
    this.conn?.close();
    this.conn = undefined;
  }

  private session(): OvsdbRpcConnection {
    if (!this.conn?.isOpen) throw new OvsdbDisconnectedError(`not connected to ${describeEndpoint(this.endpoint)}`);
    return this.conn;
  }

  private async openSession(reconnected: boolean): Promise<void> {
    const socket = await openTransport(this.endpoint, this.connectTimeoutMs);
    const conn = new OvsdbRpcConnection(socket, this.timings);
    conn.on('notification', (method: string, params: unknown) => this.onNotification(method, params));
    conn.on('close', (err?: Error) => this.onClose(conn, err));
    conn.on('echo-request', (params: unknown) => this.emit('echo-request', params));
    if (this.closing) return conn.close();
    this.conn = conn;
    this.schemas.clear(); // the server may have been upgraded while we were away
    if (reconnected) {
      // rebuild every cache from the new initial state before announcing the session
      for (const m of this.monitors.values()) await this.startMonitor(conn, m, true);
    }
    this.attempt = 0;
    this.emit('connect', { reconnected });
  }

  private async startMonitor(conn: OvsdbRpcConnection, m: OvsdbMonitor, isResync: boolean): Promise<void> {
    let method: MonitorMethod = this.monitorCondSupported ? m.method : 'monitor';
    const schema = await this.schemaFor(conn, m.db);
    let initial: unknown;
    try {
      initial = await conn.request(method, [m.db, m.id, encodeMonitorRequests(m.spec, method)]);
    } catch (err) {
      if (method !== 'monitor_cond' || !(err instanceof OvsdbRpcError) || err.error !== 'unknown method') throw err;
      this.monitorCondSupported = false; // pre-2.6 server: fall back, conditions become client-side concerns
      method = 'monitor';
      initial = await conn.request(method, [m.db, m.id, encodeMonitorRequests(m.spec, method)]);
    }
    m.reset(initial, method, schema, isResync);
  }

  private async schemaFor(conn: OvsdbRpcConnection, db: string): Promise<OvsdbSchema> {
    let s = this.schemas.get(db);
    if (!s) {
      s = (await conn.request('get_schema', [db])) as OvsdbSchema;
      this.schemas.set(db, s);
    }
    return s;
  }

  private async cancelMonitor(m: OvsdbMonitor): Promise<void> {
    if (!this.monitors.delete(m.id)) return;
    if (this.conn?.isOpen) await this.conn.request('monitor_cancel', [m.id]);
  }

  private onNotification(method: string, params: unknown): void {
    if ((method !== 'update2' && method !== 'update') || !Array.isArray(params)) return;
    this.monitors.get(String(params[0]))?.apply(method, params[1]);
  }

  private onClose(conn: OvsdbRpcConnection, err?: Error): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.emit('disconnect', err ?? new OvsdbDisconnectedError('connection closed'));
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closing || this.backoff === false || this.reconnectTimer) return;
    const delayMs = backoffDelay(this.attempt, this.backoff);
    this.emit('reconnecting', { attempt: ++this.attempt, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.openSession(true).catch((err: Error) => {
        this.emit('reconnect-failed', err);
        if (this.conn) {
          const c = this.conn;
          this.conn = undefined;
          c.close(err); // re-monitor failed: drop this session, onClose is ignored now, so retry here
        }
        this.scheduleReconnect();
      });
    }, delayMs);
  }
}
