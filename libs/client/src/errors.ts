/** One field a validation problem names (`validation_failed`'s `errors`). */
export interface ProblemField {
  path: string;
  message: string;
}

/** An API answer in problem+json (RFC 9457), as a throwable error: `code` is the stable machine reason. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly fields: ProblemField[];
  readonly problem: Record<string, unknown>;

  constructor(status: number, problem: Record<string, unknown>) {
    const code = typeof problem.code === 'string' ? problem.code : `http_${String(status)}`;
    const detail = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : '';
    super(`${code}: ${detail}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.fields = Array.isArray(problem.errors) ? (problem.errors as ProblemField[]) : [];
    this.problem = problem;
  }
}

/** An operation that ended `failed`: carries the operation's own error code and detail. */
export class OperationFailedError extends Error {
  readonly code: string;
  readonly detail: string;
  constructor(readonly operation: { id: string; kind: string; error?: { code: string; detail?: string } | null }) {
    const code = operation.error?.code ?? 'failed';
    const detail = operation.error?.detail ?? '';
    super(`operation ${operation.id} (${operation.kind}) failed: ${code}${detail ? `: ${detail}` : ''}`);
    this.name = 'OperationFailedError';
    this.code = code;
    this.detail = detail;
  }
}

/** Waiting gave up before the operation ended (the operation itself may still finish). */
export class WaitTimeoutError extends Error {
  constructor(
    readonly operationId: string,
    readonly timeoutMs: number,
  ) {
    super(`operation ${operationId} did not finish within ${String(Math.round(timeoutMs / 1000))}s`);
    this.name = 'WaitTimeoutError';
  }
}

/** The problem+json body of a failed answer, or a synthetic one when the body is not JSON. */
export async function problemOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') return new ApiError(res.status, body as Record<string, unknown>);
  } catch {
    /* not JSON: fall through */
  }
  return new ApiError(res.status, { detail: text.slice(0, 200) || res.statusText });
}
