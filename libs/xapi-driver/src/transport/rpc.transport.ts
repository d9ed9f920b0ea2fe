import { XapiTransportError } from '../errors/xapi-error.js';
import type { HttpAnswer, HttpPoster } from './http-poster.js';
import { decodeJsonRpcResponse, encodeJsonRpcRequest } from './json-rpc.codec.js';
import { decodeXmlRpcResponse, encodeXmlRpcCall } from './xml-rpc.codec.js';
import { endpoint, type RequestOptions, type XapiTransport } from './xapi-transport.js';

let nextId = 1;

function httpError(answer: HttpAnswer, method: string): XapiTransportError {
  return new XapiTransportError('http', `HTTP ${answer.status}: ${answer.body.slice(0, 120)}`, method, { status: answer.status });
}

/** JSON-RPC 2.0 over `POST /jsonrpc`. */
export class JsonRpcTransport implements XapiTransport {
  readonly protocol = 'json-rpc' as const;
  constructor(private readonly http: HttpPoster) {}

  async call(base: URL, method: string, params: readonly unknown[], opts: RequestOptions): Promise<unknown> {
    const answer = await this.post(base, method, params, opts);
    if (answer.status !== 200) throw httpError(answer, method);
    return decodeJsonRpcResponse(answer.body, method);
  }

  /** Posts without interpreting the answer (the auto transport inspects its content type). */
  post(base: URL, method: string, params: readonly unknown[], opts: RequestOptions): Promise<HttpAnswer> {
    const body = encodeJsonRpcRequest(method, params, nextId++);
    return this.http.post(endpoint(base, '/jsonrpc'), body, 'application/json', { ...opts, method });
  }
}

/** XML-RPC over `POST /`. */
export class XmlRpcTransport implements XapiTransport {
  readonly protocol = 'xml-rpc' as const;
  constructor(private readonly http: HttpPoster) {}

  async call(base: URL, method: string, params: readonly unknown[], opts: RequestOptions): Promise<unknown> {
    const body = encodeXmlRpcCall(method, params);
    const answer = await this.http.post(endpoint(base, '/'), body, 'text/xml', { ...opts, method });
    if (answer.status !== 200) throw httpError(answer, method);
    return decodeXmlRpcResponse(answer.body, method);
  }
}

/**
 * Tries JSON-RPC first; a `text/xml` answer from `/jsonrpc` (old hosts prefix-match it to `/`) switches to XML-RPC
 * for good, as does a 404. The first answer decides.
 */
export class AutoTransport implements XapiTransport {
  private chosen: JsonRpcTransport | XmlRpcTransport | undefined;
  private readonly json: JsonRpcTransport;
  private readonly xml: XmlRpcTransport;

  constructor(http: HttpPoster) {
    this.json = new JsonRpcTransport(http);
    this.xml = new XmlRpcTransport(http);
  }

  get protocol(): 'json-rpc' | 'xml-rpc' | undefined {
    return this.chosen?.protocol;
  }

  async call(base: URL, method: string, params: readonly unknown[], opts: RequestOptions): Promise<unknown> {
    if (this.chosen) return this.chosen.call(base, method, params, opts);
    const answer = await this.json.post(base, method, params, opts);
    if (/\bxml\b/i.test(answer.contentType) || answer.status === 404) {
      this.chosen ??= this.xml;
      return this.xml.call(base, method, params, opts);
    }
    if (answer.status !== 200) throw httpError(answer, method);
    this.chosen ??= this.json;
    return decodeJsonRpcResponse(answer.body, method);
  }
}

/** Builds the transport for an option value. */
export function createTransport(kind: 'auto' | 'json-rpc' | 'xml-rpc', http: HttpPoster): XapiTransport {
  if (kind === 'json-rpc') return new JsonRpcTransport(http);
  if (kind === 'xml-rpc') return new XmlRpcTransport(http);
  return new AutoTransport(http);
}
