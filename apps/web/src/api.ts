import { ApiError, createXenplaneClient } from '@xenplane/client';

/** What the login (or GET /v1/sessions/current) answered; the key itself is never kept. */
export interface Session {
  csrfToken: string;
  expiresAt: string;
  role: 'operator' | 'admin' | 'member';
  tenantId: string | null;
  keyName: string;
}

let csrf: string | null = null;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// The cookie travels by itself (credentials: include); changes carry the CSRF token the login answered, held in memory.
const sessionFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const req = new Request(input, init);
  if (csrf && UNSAFE.has(req.method)) req.headers.set('x-xenplane-csrf', csrf);
  return fetch(req, { credentials: 'include' });
};

export const api = createXenplaneClient({ baseUrl: window.location.origin, fetch: sessionFetch, idempotency: true });

export function adopt(s: Session | null): Session | null {
  csrf = s?.csrfToken ?? null;
  return s;
}

/** The session a reload still has (its cookie), or null. */
export async function resume(): Promise<Session | null> {
  try {
    return adopt((await api.send<Session>('GET', '/v1/sessions/current')) ?? null);
  } catch {
    return adopt(null);
  }
}

/** A problem+json answer as a person reads it: its code, then its detail. */
export function explain(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.fields.map((f) => `${f.path}: ${f.message}`).join('; ');
    return `${err.code}: ${err.detail}${fields ? ` (${fields})` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export interface Page<T> {
  items: T[];
}
