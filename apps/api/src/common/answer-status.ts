import type { Response } from 'express';

const PINNED = 'answerStatus';

/**
 * Answers with `code` rather than the route's declared status, for a route whose success status depends on what it
 * did (PATCH /v1/vms/:id: 200 for details, 202 for a resize). Nest sets the declared status after the handler
 * returns, so it is pinned; an error status still goes through. Call it last, once the work is done.
 */
export function answerWith(res: Response, code: number): void {
  const set = res.status.bind(res);
  set(code);
  res.locals[PINNED] = code;
  res.status = (next: number) => (next >= 400 ? set(next) : res);
}

/** The status `answerWith` pinned, if any (what an Idempotency-Key replay must answer with). */
export function pinnedStatus(res: Response): number | undefined {
  const code: unknown = res.locals[PINNED];
  return typeof code === 'number' ? code : undefined;
}
