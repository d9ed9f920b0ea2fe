// Incremental splitter for OVSDB's framing: JSON texts are concatenated on the stream with no delimiter.

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Raised when the peer sends bytes that cannot be a JSON object or array. */
export class JsonFramingError extends Error {
  override readonly name = 'JsonFramingError';
}

/**
 * Feeds raw socket bytes in, gets complete JSON values out. Scans bytes (not characters) so a
 * multi-byte UTF-8 sequence split across chunks is only decoded once the whole message is buffered;
 * continuation bytes are >= 0x80 and can never be mistaken for braces or quotes.
 */
export class JsonStreamParser {
  private parts: Buffer[] = [];
  private bufferedBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** @param maxMessageBytes a message larger than this is a protocol error (guards memory). */
  constructor(private readonly maxMessageBytes = 256 * 1024 * 1024) {}

  /** Consumes one chunk and returns every message it completed, in order. */
  push(chunk: Buffer | string): unknown[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const out: unknown[] = [];
    let segmentStart = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i];
      if (this.depth === 0) {
        if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
          segmentStart = i + 1; // whitespace between messages is skipped
          continue;
        }
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          this.reset();
          throw new JsonFramingError(`unexpected byte 0x${b.toString(16)} between JSON messages`);
        }
        segmentStart = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          out.push(this.complete(buf.subarray(segmentStart, i + 1)));
          segmentStart = i + 1;
        }
      }
    }
    if (this.depth > 0 && segmentStart < buf.length) this.keep(buf.subarray(segmentStart));
    return out;
  }

  /** True while a message is partially buffered. */
  get pending(): boolean {
    return this.depth > 0;
  }

  /** Drops any partial message (used when the connection is replaced). */
  reset(): void {
    this.parts = [];
    this.bufferedBytes = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }

  private keep(part: Buffer): void {
    this.bufferedBytes += part.length;
    if (this.bufferedBytes > this.maxMessageBytes) {
      this.reset();
      throw new JsonFramingError(`message exceeds ${this.maxMessageBytes} bytes`);
    }
    // copy: the socket may reuse the chunk's memory after we return
    this.parts.push(Buffer.from(part));
  }

  private complete(tail: Buffer): unknown {
    const whole = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.parts = [];
    this.bufferedBytes = 0;
    try {
      return JSON.parse(whole.toString('utf8'));
    } catch (err) {
      throw new JsonFramingError(`invalid JSON message: ${(err as Error).message}`);
    }
  }
}
