import type { XenplaneClient } from './client.js';

/** One event of `GET /v1/events`. */
export interface XenplaneEvent {
  id: number;
  type: string;
  tenantId: string | null;
  resourceType: string;
  resourceId: string;
  createdAt: string;
  data: Record<string, unknown>;
}

export interface StreamOptions {
  /** Resume after this event id (sent as Last-Event-ID); default: from now. */
  after?: number;
  /** Type prefixes, e.g. `['vm.', 'operation.failed']`. */
  types?: string[];
  tenantId?: string;
  signal?: AbortSignal;
}

/**
 * Opens the event stream; resolves once the server has answered (every change committed from then on will come),
 * with the events as an async iterator. It ends when the server closes the stream; no reconnect here.
 */
export async function openEventStream(client: XenplaneClient, options: StreamOptions = {}): Promise<AsyncGenerator<XenplaneEvent>> {
  const query = { ...(options.types?.length ? { types: options.types.join(',') } : {}), ...(options.tenantId ? { tenantId: options.tenantId } : {}) };
  const { response } = await client.GET('/v1/events', {
    params: { query, header: options.after === undefined ? {} : { 'Last-Event-ID': String(options.after) } },
    parseAs: 'stream',
    signal: options.signal,
  });
  if (!response.body) throw new Error('the event stream has no body');
  return parseEvents(response.body);
}

async function* parseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<XenplaneEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data) yield JSON.parse(data) as XenplaneEvent;
    }
  }
}
