import { XMLParser } from 'fast-xml-parser';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { formatXapiDateTime, parseXapiDateTime, XapiFloat } from '../datamodel/value-normaliser.js';
import { formatFloat } from './json-rpc.codec.js';
import { text as wireText } from '../datamodel/text.js';

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true, // struct members and array items must keep document order
  ignoreAttributes: true,
  parseTagValue: false, // values are typed by their tags, never guessed
  trimValues: false, // string contents are significant
  processEntities: true,
  htmlEntities: true, // numeric character references
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Escapes text for XML element content. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Encodes one value the way XAPI expects: ints as decimal strings, floats as `<double>` with a decimal point. */
export function encodeXmlRpcValue(v: unknown): string {
  if (typeof v === 'string') return `<value><string>${escapeXml(v)}</string></value>`;
  if (typeof v === 'number') {
    return Number.isInteger(v) ? `<value><string>${v}</string></value>` : `<value><double>${formatFloat(v)}</double></value>`;
  }
  if (typeof v === 'bigint') return `<value><string>${v}</string></value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (v instanceof XapiFloat) return `<value><double>${formatFloat(v.value)}</double></value>`;
  if (v instanceof Date) return `<value><dateTime.iso8601>${formatXapiDateTime(v)}</dateTime.iso8601></value>`;
  if (Array.isArray(v)) return `<value><array><data>${v.map(encodeXmlRpcValue).join('')}</data></array></value>`;
  if (typeof v === 'object' && v !== null) {
    const members = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeXmlRpcValue(x)}</member>`);
    return `<value><struct>${members.join('')}</struct></value>`;
  }
  throw new TypeError(`cannot encode ${String(v)} as an XML-RPC value`);
}

/** Encodes a `<methodCall>` document. */
export function encodeXmlRpcCall(method: string, params: readonly unknown[]): string {
  const ps = params.map((p) => `<param>${encodeXmlRpcValue(p)}</param>`).join('');
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${ps}</params></methodCall>`;
}

/** Decodes an XAPI `<methodResponse>`: returns `Value` on Success, throws XapiError from `ErrorDescription` on Failure. */
export function decodeXmlRpcResponse(body: string, method: string): unknown {
  let envelope: unknown;
  try {
    const response = child(only(parser.parse(body) as XmlNode[], 'methodResponse'), 'methodResponse');
    const fault = response.find((n) => 'fault' in n);
    if (fault) {
      const f = decodeValueNode(child(only(child(fault, 'fault'), 'value'), 'value')) as Record<string, unknown>;
      throw new XapiError(wireText(f?.faultString) || 'XMLRPC_FAULT', [wireText(f?.faultCode)], method);
    }
    const param = child(only(child(only(response, 'params'), 'params'), 'param'), 'param');
    envelope = decodeValueNode(child(only(param, 'value'), 'value'));
  } catch (e) {
    if (e instanceof XapiError) throw e;
    throw new XapiTransportError('protocol', `invalid XML-RPC body: ${body.slice(0, 120)}`, method, { cause: e });
  }
  const env = envelope as Record<string, unknown> | undefined;
  if (env?.Status === 'Success') return env.Value ?? '';
  if (env?.Status === 'Failure') throw XapiError.fromDescription(env.ErrorDescription, method);
  // some servers answer with a bare value, not XAPI's Status struct
  return envelope;
}

/** Decodes a standalone `<value>…</value>` document, such as a task `result`; an empty string decodes to `""`. */
export function decodeXmlRpcValue(xml: string): unknown {
  if (xml.trim() === '') return '';
  const nodes = parser.parse(xml) as XmlNode[];
  return decodeValueNode(child(only(nodes, 'value'), 'value'));
}

function decodeValueNode(children: XmlNode[]): unknown {
  const typed = elements(children)[0];
  if (!typed) return text(children);
  const [tag] = Object.keys(typed);
  const inner = typed[tag] as XmlNode[];
  switch (tag) {
    case 'string':
      return text(inner);
    case 'i4':
    case 'int':
    case 'i8':
      return Number(text(inner).trim());
    case 'double':
      return Number(text(inner).trim());
    case 'boolean':
      return ['1', 'true'].includes(text(inner).trim());
    case 'dateTime.iso8601': {
      const t = text(inner).trim();
      return parseXapiDateTime(t) ?? t;
    }
    case 'nil':
      return null;
    case 'base64':
      return Buffer.from(text(inner).trim(), 'base64').toString('utf8');
    case 'array':
      return elements(child(only(inner, 'data'), 'data')).map((v) => decodeValueNode(v.value as XmlNode[]));
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const m of elements(inner)) {
        const parts = m.member as XmlNode[];
        out[text(child(only(parts, 'name'), 'name'))] = decodeValueNode(child(only(parts, 'value'), 'value'));
      }
      return out;
    }
    default:
      throw new Error(`unknown XML-RPC type <${tag}>`);
  }
}

function elements(nodes: XmlNode[]): XmlNode[] {
  return nodes.filter((n) => !('#text' in n));
}

function text(nodes: XmlNode[]): string {
  return nodes.map((n) => (typeof n['#text'] === 'string' ? n['#text'] : '')).join('');
}

function only(nodes: XmlNode[], tag: string): XmlNode {
  const n = nodes.find((x) => tag in x);
  if (!n) throw new Error(`missing <${tag}>`);
  return n;
}

function child(node: XmlNode, tag: string): XmlNode[] {
  return node[tag] as XmlNode[];
}
