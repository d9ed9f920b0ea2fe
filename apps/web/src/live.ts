/** One event of GET /v1/events, as the stream's data carries it. */
export interface LiveEvent {
  id: number;
  type: string;
  resourceType: string;
  resourceId: string;
  data: Record<string, unknown>;
}

export type LiveState = 'connecting' | 'live' | 'polling';
type Listener = (e: LiveEvent) => void;

// Errors in a row before the page gives up on the stream and polls; how long it polls before trying the stream again.
const MAX_ERRORS = 3;
const RETRY_STREAM_MS = 30_000;

/**
 * The page's one event stream (session cookie, unnamed frames so `onmessage` gets every type). The browser itself
 * reconnects with Last-Event-ID; once the stream keeps failing (or is refused), views poll until it opens again, and
 * the reopened stream resumes after the last id seen (`?after=`), so nothing is missed in between.
 */
class LiveEvents {
  private source?: EventSource;
  private readonly listeners = new Set<Listener>();
  private readonly watchers = new Set<(s: LiveState) => void>();
  private errors = 0;
  private lastId: number | undefined;
  private retry?: ReturnType<typeof setTimeout>;
  state: LiveState = 'connecting';

  start(): void {
    this.stop();
    const after = this.lastId === undefined ? '' : `&after=${String(this.lastId)}`;
    const source = new EventSource(`/v1/events?named=false${after}`, { withCredentials: true });
    this.source = source;
    source.onopen = () => {
      this.errors = 0;
      this.set('live');
    };
    source.onmessage = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as LiveEvent;
      this.lastId = e.id;
      for (const l of [...this.listeners]) l(e);
    };
    source.onerror = () => {
      this.errors += 1;
      if (source.readyState !== EventSource.CLOSED && this.errors < MAX_ERRORS) return;
      source.close();
      this.set('polling');
      this.retry = setTimeout(() => this.start(), RETRY_STREAM_MS);
    };
  }

  stop(): void {
    clearTimeout(this.retry);
    this.source?.close();
    this.source = undefined;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  watch(w: (s: LiveState) => void): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  private set(s: LiveState): void {
    if (s === this.state) return;
    this.state = s;
    for (const w of [...this.watchers]) w(s);
  }
}

export const live = new LiveEvents();

/** The resource an event is about: its own, an operation's target, or a NIC's VM. */
export function subjectOf(e: LiveEvent): { type: string; id: string } {
  if (e.resourceType === 'operation' && typeof e.data.resourceType === 'string' && typeof e.data.resourceId === 'string')
    return { type: e.data.resourceType, id: e.data.resourceId };
  if (e.resourceType === 'nic' && typeof e.data.vmId === 'string') return { type: 'vm', id: e.data.vmId };
  return { type: e.resourceType, id: e.resourceId };
}
