// One listener per simulated host (127.0.0.k on a loopback bind), so clients can reach slaves and a master can die.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SimHandlers } from './sim-server.js';

// What the control API needs to stage "host k died" / "host k is back".
export interface HostNet {
  readonly perHost: boolean; // false: one listener (wildcard or non-loopback bind) serves every host
  isUp(index: number): boolean;
  down(index: number): void;
  up(index: number): Promise<void>;
  urlOf(index: number): string; // http://<address>:<port> a client uses to reach host `index` itself
}

const portRetries = 8;

export class HostListeners implements HostNet {
  private readonly servers = new Map<number, Server>(); // 1-based host index -> its listening server
  private readonly sockets = new Map<number, Set<Socket>>();
  private readonly downHosts = new Set<number>();
  private port = 0;

  // addresses[k-1] is host k's address; perHost binds each of them, else `bind` alone serves them all.
  constructor(
    private readonly handler: SimHandlers,
    private readonly addresses: string[],
    private readonly bind: string,
    readonly perHost: boolean,
  ) {}

  get boundPort(): number {
    return this.port;
  }

  async start(port: number): Promise<number> {
    if (!this.perHost) {
      this.port = await this.listen(1, this.bind, port);
      return this.port;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        this.port = await this.listen(1, this.addresses[0], port);
        for (let k = 2; k <= this.addresses.length; k++) await this.listen(k, this.addresses[k - 1], this.port);
        return this.port;
      } catch (e) {
        await this.close();
        // With port 0 the kernel chose host 1's port; another process may hold it on 127.0.0.k, so pick again.
        if (port !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= portRetries) throw e;
      }
    }
  }

  isUp(index: number): boolean {
    return !this.downHosts.has(index);
  }

  // Stops accepting at once; open connections (keep-alive, long polls) drop on the next turn, after any reply in flight.
  down(index: number): void {
    this.downHosts.add(index);
    const server = this.servers.get(index);
    this.servers.delete(index);
    server?.close();
    const doomed = [...(this.sockets.get(index) ?? [])]; // not the connections of a quick `up` after this
    setImmediate(() => {
      for (const s of doomed) s.destroy();
    });
  }

  async up(index: number): Promise<void> {
    if (!this.downHosts.has(index)) return;
    if (this.perHost) await this.listen(index, this.addresses[index - 1], this.port);
    this.downHosts.delete(index);
  }

  // A wildcard bind answers on every loopback address too, so each host keeps its own address.
  urlOf(index: number): string {
    const wildcard = this.bind === '0.0.0.0' || this.bind === '::';
    const address = this.perHost || wildcard ? this.addresses[index - 1] : this.bind;
    return `http://${address.includes(':') ? `[${address}]` : address}:${this.port}`;
  }

  async close(): Promise<void> {
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  // The host a connection reached, by local address; anything unknown (e.g. a container IP) is host 1.
  private hostOf(socket: Socket, listenerIndex: number): number {
    if (this.perHost) return listenerIndex;
    const local = (socket.localAddress ?? '').replace(/^::ffff:/, '');
    const i = this.addresses.indexOf(local);
    return i >= 0 ? i + 1 : 1;
  }

  private listen(index: number, address: string, port: number): Promise<number> {
    // disk uploads can take longer than node's 5-minute default for a whole request
    const server = createServer({ requestTimeout: 0 }, this.handler.request);
    // CONNECT /console and WebSocket upgrades (connect_console, connect_console_ws) take the connection over
    const tunnel = this.handler.tunnel;
    server
      .on('connect', (...a: Parameters<typeof tunnel>) => void tunnel(...a))
      .on('upgrade', (...a: Parameters<typeof tunnel>) => void tunnel(...a));
    server.on('connection', (socket: Socket) => {
      const k = this.hostOf(socket, index);
      if (this.downHosts.has(k)) return void socket.destroy(); // a shared listener cannot refuse, so it hangs up
      const set = this.sockets.get(k) ?? new Set<Socket>();
      this.sockets.set(k, set.add(socket));
      socket.once('close', () => set.delete(socket));
    });
    return new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        this.servers.set(index, server);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }
}

// Linux routes all of 127/8 to lo, so each host can have its own 127.0.0.k without any setup.
export function isLoopbackBind(bind: string): boolean {
  return bind === '127.0.0.1' || bind === 'localhost';
}
