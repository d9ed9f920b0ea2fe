/** XAPI error codes that describe a transient condition: the same call may succeed later. */
export const RETRYABLE_XAPI_CODES: ReadonlySet<string> = new Set([
  'OTHER_OPERATION_IN_PROGRESS',
  'TOO_MANY_PENDING_TASKS',
  'SESSION_INVALID',
  'HOST_IS_SLAVE',
  'HOST_STILL_BOOTING',
  'HOST_OFFLINE',
  'HOST_NOT_LIVE',
  'CANNOT_CONTACT_HOST',
  'EVENTS_LOST',
  'VM_SHUTDOWN_TIMEOUT',
  'VM_FAILED_SHUTDOWN_ACKNOWLEDGMENT',
  'VDI_IN_USE',
  'TOOLSTACK_RESTARTING',
]);

/** A logical XAPI failure: `ErrorDescription` / `error` / task `error_info` = [code, ...params]. */
export class XapiError extends Error {
  override readonly name = 'XapiError';

  constructor(
    readonly code: string,
    readonly params: string[],
    readonly method: string,
  ) {
    super(`${method}: ${code}${params.length ? ` [${params.join(', ')}]` : ''}`);
  }

  /** True when retrying the same call later may succeed (lock contention, master moving, toolstack busy). */
  get retryable(): boolean {
    return RETRYABLE_XAPI_CODES.has(this.code);
  }

  /** Builds an error from an XAPI error description list (`[code, ...params]`), tolerating odd shapes. */
  static fromDescription(description: unknown, method: string): XapiError {
    const list = Array.isArray(description) ? description : [description];
    const [code, ...params] = list.map((v) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v)));
    return new XapiError(code || 'UNKNOWN_ERROR', params, method);
  }
}

/** Why a request produced no XAPI answer. */
/** `tls`: the server's certificate is not trusted (nothing was sent); retrying cannot help until the trust is fixed. */
export type TransportFailure = 'timeout' | 'connection' | 'http' | 'protocol' | 'aborted' | 'tls';

/** The request never produced a XAPI envelope: timeout, connection failure, HTTP error or unparsable body. */
export class XapiTransportError extends Error {
  override readonly name = 'XapiTransportError';

  constructor(
    readonly kind: TransportFailure,
    message: string,
    readonly method: string,
    readonly details: {
      /** errno code (ECONNREFUSED...) when a socket error caused it */
      code?: string;
      /** HTTP status when the server answered without an envelope */
      status?: number;
      /** true when the request surely did not reach XAPI (connect failed, or a stale keep-alive socket) */
      notSent?: boolean;
      /** a reused keep-alive socket was reset before any answer */
      staleSocket?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(`${method}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
  }

  /** Timeouts and connection failures are transient; HTTP 5xx from proxies too; malformed bodies are not. */
  get retryable(): boolean {
    if (this.kind === 'timeout' || this.kind === 'connection') return true;
    if (this.kind === 'http') return this.details.status === 502 || this.details.status === 503 || this.details.status === 504;
    return false;
  }
}

/** True for errors worth retrying later (XapiError with a transient code, or a transient transport failure). */
export function isRetryable(err: unknown): boolean {
  return (err instanceof XapiError || err instanceof XapiTransportError) && err.retryable;
}

/** True when `err` is a XapiError with one of the given codes. */
export function isXapiError(err: unknown, ...codes: string[]): err is XapiError {
  return err instanceof XapiError && (codes.length === 0 || codes.includes(err.code));
}
