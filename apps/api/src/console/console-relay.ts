import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { ConsoleEnd } from './console-session.repository.js';

// Bytes sent to a client and not yet written to its socket before the console is paused (a slow viewer holds no more).
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 * 1024;
// How long a closing WebSocket may take to answer our close frame before its socket is cut.
const CLOSE_GRACE_MS = 5_000;

/**
 * One console session: raw RFB both ways between the client's WebSocket (binary frames) and the VM's XAPI console
 * stream, with backpressure each way. Whichever side ends, both are closed, once; `done` then answers why.
 */
export class ConsoleRelay {
  readonly done: Promise<ConsoleEnd>;
  private bytesToClient = 0;
  private bytesFromClient = 0;
  private inFlight = 0;
  private alive = true;
  private ended = false;
  private awaitingDrain = false;
  private resolve!: (end: ConsoleEnd) => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly upstream: Duplex,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    upstream.on('data', (chunk: Buffer) => this.toClient(chunk));
    upstream.once('end', () => this.close(1000, 'the console closed', 'console_closed'));
    upstream.once('close', () => this.close(1000, 'the console closed', 'console_closed'));
    upstream.on('error', () => this.close(1011, 'the console failed', 'console_error'));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.fromClient(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.once('close', () => this.close(1000, '', 'client_closed'));
    ws.on('error', () => this.close(1002, '', 'client_error'));
    upstream.resume(); // the driver hands the stream over paused
  }

  /** Called every refresh: a client that did not answer the last ping is gone (its socket is cut). */
  heartbeat(): void {
    if (this.ended) return;
    if (!this.alive) return this.close(1001, '', 'client_timeout');
    this.alive = false;
    this.ws.ping();
  }

  /** Ends the session: the console stream is destroyed and the client gets a close frame (if it is still there). */
  close(code: number, text: string, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.upstream.destroy();
    if (this.ws.readyState === WebSocket.OPEN && reason !== 'client_timeout') {
      this.ws.close(code, text);
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    } else this.ws.terminate();
    this.resolve({ reason, bytesToClient: this.bytesToClient, bytesFromClient: this.bytesFromClient });
  }

  private toClient(chunk: Buffer): void {
    if (this.ended) return;
    this.bytesToClient += chunk.length;
    this.inFlight += chunk.length;
    if (this.inFlight > HIGH_WATER) this.upstream.pause();
    this.ws.send(chunk, { binary: true }, () => {
      this.inFlight -= chunk.length;
      if (!this.ended && this.inFlight <= LOW_WATER && this.upstream.isPaused()) this.upstream.resume();
    });
  }

  private fromClient(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    if (!isBinary) return this.close(1003, 'RFB travels in binary frames', 'protocol_error');
    this.bytesFromClient += data.length;
    if (this.upstream.write(data) || this.awaitingDrain) return;
    this.awaitingDrain = true;
    this.ws.pause();
    this.upstream.once('drain', () => {
      this.awaitingDrain = false;
      this.ws.resume();
    });
  }
}
