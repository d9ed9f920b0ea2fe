// JSON-RPC as xapi speaks it: v2.0 when the request says so, else v1 (array-shaped errors), id echoed.
import type { Value } from '../datamodel/defaults.js';
import { wireToJsonText, type Wire } from './wire-value.js';
import { MalformedRequest } from './xml-rpc.js';

export interface JsonCall {
  method: string;
  params: Value[];
  id: unknown;
  v2: boolean;
}

export function parseJsonCall(body: string): JsonCall {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedRequest('request is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedRequest('not a JSON-RPC object');
  const req = parsed as Record<string, unknown>;
  if (typeof req.method !== 'string' || req.method === '') throw new MalformedRequest('missing method');
  const params = req.params === undefined ? [] : req.params;
  if (!Array.isArray(params)) throw new MalformedRequest('params must be an array');
  const v2 = req.jsonrpc === '2.0';
  // XAPI answers every call; a v2 request without an id would be a notification, which it does not accept.
  if (v2 && (req.id === undefined || req.id === null)) throw new MalformedRequest('missing id');
  return { method: req.method, params: params as Value[], id: req.id ?? null, v2 };
}

// Spliced as text: a 25 MB result is never turned into objects and back.
export function renderJsonSuccess(call: JsonCall, value: Wire): string {
  const result = wireToJsonText(value);
  const id = JSON.stringify(call.id) ?? 'null';
  return call.v2 ? `{"jsonrpc":"2.0","result":${result},"id":${id}}` : `{"result":${result},"error":null,"id":${id}}`;
}

export function renderJsonFailure(call: JsonCall, description: string[]): string {
  const [code, ...params] = description;
  return JSON.stringify(
    call.v2 ? { jsonrpc: '2.0', error: { code: 1, message: code, data: params }, id: call.id } : { result: null, error: description, id: call.id },
  );
}
