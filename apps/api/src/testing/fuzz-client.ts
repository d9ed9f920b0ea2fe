// Sends fuzz cases over plain node:http (fetch refuses a body on GET and normalises odd paths) and judges answers.
import http from 'node:http';
import net from 'node:net';

export interface Case {
  op: string;
  method: string;
  path: string;
  raw?: string;
  token?: string | null;
  /** null removes a header the client would otherwise send (e.g. the JSON content type). */
  headers?: Record<string, string | null>;
  /** 'reject': a 4xx problem; 'any': anything but a 5xx (a 4xx still a problem); a number: exactly that status, as a problem. */
  expect: 'reject' | 'any' | number;
  label?: string;
}

export interface Answer {
  status: number;
  type: string;
  body: any;
}

export class FuzzClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  /** How many cases each operation got, so a test can prove every documented operation was fuzzed. */
  readonly counts = new Map<string, number>();

  /** `codes`: the problem codes the document lists; an answer with any other is wrong. */
  constructor(
    private readonly base: string,
    private readonly codes: ReadonlySet<string>,
  ) {}

  send(c: Case): Promise<Answer> {
    const all: Record<string, string | null> = { ...(c.raw === undefined ? {} : { 'content-type': 'application/json' }), ...c.headers };
    const headers = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null));
    if (c.token) headers.authorization = `Bearer ${c.token}`;
    // Explicit, because node frames a GET or DELETE body only when told its length.
    if (c.raw !== undefined) headers['content-length'] = String(Buffer.byteLength(c.raw));
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.base}${c.path}`, { method: c.method, headers, agent: this.agent }, (res) => {
        // An event stream that was accepted never ends by itself: its status and type are the answer.
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          res.destroy();
          return resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: undefined });
        }
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: parseBody(Buffer.concat(chunks)) }),
        );
      });
      req.on('error', reject);
      req.end(c.raw);
    });
  }

  /** Sends one case; returns what was wrong with the answer, or null. */
  async check(c: Case): Promise<string | null> {
    this.counts.set(c.op, (this.counts.get(c.op) ?? 0) + 1);
    const res = await this.send(c);
    const problem = /^application\/problem\+json/.test(res.type) && this.codes.has(res.body?.code) && res.body.status === res.status;
    const ok =
      c.expect === 'any'
        ? res.status < 400 || (res.status < 500 && problem)
        : c.expect === 'reject'
          ? res.status >= 400 && res.status < 500 && problem
          : res.status === c.expect && problem;
    if (ok) return null;
    const sent = (c.raw ?? '').slice(0, 80).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return `${c.method} ${c.path.slice(0, 140)} [${c.op}${c.label ? ` ${c.label}` : ''}] expect=${c.expect} body=${sent} -> ${res.status} ${res.type} ${JSON.stringify(res.body).slice(0, 200)}`;
  }

  /** Runs cases eight at a time and returns every bad answer. */
  async failures(cases: Case[]): Promise<string[]> {
    const found: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < cases.length) {
          const failure = await this.check(cases[next++]);
          if (failure) found.push(failure);
        }
      }),
    );
    return found;
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseBody(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Writes raw bytes on a fresh socket (requests no HTTP client would send) and parses the one answer. */
export function rawExchange(port: number, bytes: string | Buffer): Promise<Answer & { head: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      const head = split < 0 ? all : all.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const type = /^content-type:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? '';
      resolve({ head, status, type, body: parseBody(Buffer.from(split < 0 ? '' : all.slice(split + 4))) });
    });
    socket.end(bytes);
  });
}
