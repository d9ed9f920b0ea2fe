import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { formatXapiDateTime, XapiFloat } from '../datamodel/value-normaliser.js';

const FLOAT_MARK = '\u0000xapi-float:';

/** Encodes a JSON-RPC 2.0 request; integral floats keep a decimal point, Dates use XAPI's basic ISO form. */
export function encodeJsonRpcRequest(method: string, params: readonly unknown[], id: number): string {
  const json = JSON.stringify({ jsonrpc: '2.0', method, params, id }, function (this: unknown, key: string, value: unknown) {
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof XapiFloat) return FLOAT_MARK + formatFloat(raw.value);
    if (raw instanceof Date) return formatXapiDateTime(raw);
    return value;
  });
  // the marker is JSON-escaped as \u0000; swap the quoted placeholder for the bare number
  return json.replace(/"\\u0000xapi-float:([^"]*)"/g, '$1');
}

/** Float text that always contains a decimal point or exponent. */
export function formatFloat(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`cannot send non-finite float ${n} to XAPI`);
  const s = String(n);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/**
 * Decodes a JSON-RPC response body, v2 (`error: {code, message, data}`) or v1 (`error: [code, ...params]`).
 * Returns the raw result or throws XapiError / XapiTransportError('protocol').
 */
export function decodeJsonRpcResponse(body: string, method: string): unknown {
  let msg: unknown;
  try {
    msg = JSON.parse(body);
  } catch (e) {
    throw new XapiTransportError('protocol', `invalid JSON-RPC body: ${body.slice(0, 120)}`, method, { cause: e });
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw new XapiTransportError('protocol', 'JSON-RPC answer is not an object', method);
  }
  const env = msg as Record<string, unknown>;
  const error = env.error;
  if (error !== undefined && error !== null) throw jsonRpcError(error, method);
  if (!('result' in env)) throw new XapiTransportError('protocol', 'JSON-RPC answer has neither result nor error', method);
  return env.result;
}

function jsonRpcError(error: unknown, method: string): XapiError {
  if (Array.isArray(error)) return XapiError.fromDescription(error, method);
  if (typeof error === 'object' && error !== null) {
    const { message, data } = error as { message?: unknown; data?: unknown };
    const params: unknown[] = data === undefined || data === null ? [] : Array.isArray(data) ? data : [data];
    return XapiError.fromDescription([message ?? 'UNKNOWN_ERROR', ...params], method);
  }
  return XapiError.fromDescription([error], method);
}
