// XML-RPC as xapi speaks it: methodCall in, a Status/Value/ErrorDescription struct out (never <fault>).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Value } from '../datamodel/defaults.js';
import { escapeXml, wireToXml, type Wire } from './wire-value.js';

export class MalformedRequest extends Error {}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  trimValues: false,
  parseTagValue: false,
  processEntities: true,
  htmlEntities: true,
});

function parseDocument(xml: string): XmlNode[] {
  if (XMLValidator.validate(xml) !== true) throw new MalformedRequest('request is not well-formed XML');
  try {
    return parser.parse(xml) as XmlNode[];
  } catch {
    throw new MalformedRequest('request is not well-formed XML');
  }
}

function tagOf(node: XmlNode): string {
  return Object.keys(node).find((k) => k !== ':@') ?? '';
}

function kids(node: XmlNode): XmlNode[] {
  const v = node[tagOf(node)];
  return Array.isArray(v) ? (v as XmlNode[]) : [];
}

function elements(nodes: XmlNode[]): XmlNode[] {
  return nodes.filter((n) => tagOf(n) !== '#text' && tagOf(n) !== '#comment');
}

function text(nodes: XmlNode[]): string {
  return nodes
    .filter((n) => tagOf(n) === '#text')
    .map((n) => String(n['#text']))
    .join('');
}

function only(nodes: XmlNode[], tag: string): XmlNode[] {
  return elements(nodes).filter((n) => tagOf(n) === tag);
}

export interface MethodCall {
  method: string;
  params: Value[];
}

export function parseMethodCall(xml: string): MethodCall {
  const call = only(parseDocument(xml), 'methodCall')[0];
  if (!call) throw new MalformedRequest('missing methodCall');
  const nameNode = only(kids(call), 'methodName')[0];
  const method = nameNode ? text(kids(nameNode)).trim() : '';
  if (!method) throw new MalformedRequest('missing methodName');
  const paramsNode = only(kids(call), 'params')[0];
  const params = paramsNode
    ? only(kids(paramsNode), 'param').map((p) => {
        const v = only(kids(p), 'value')[0];
        if (!v) throw new MalformedRequest('param without value');
        return decodeValue(v);
      })
    : [];
  return { method, params };
}

// Decodes one <value> element; an untyped <value>text</value> is a string, whitespace kept.
export function decodeValue(valueNode: XmlNode): Value {
  const content = kids(valueNode);
  const typed = elements(content);
  if (typed.length === 0) return text(content);
  if (typed.length > 1) throw new MalformedRequest('value with several children');
  const node = typed[0];
  const tag = tagOf(node);
  const body = kids(node);
  switch (tag) {
    case 'string':
      return text(body);
    case 'int':
    case 'i4':
    case 'i8': {
      const t = text(body).trim();
      if (!/^[+-]?\d+$/.test(t)) throw new MalformedRequest(`bad ${tag}`);
      return Number(t);
    }
    case 'boolean': {
      const t = text(body).trim();
      if (t !== '0' && t !== '1' && t !== 'true' && t !== 'false') throw new MalformedRequest('bad boolean');
      return t === '1' || t === 'true';
    }
    case 'double': {
      const n = Number(text(body).trim());
      if (Number.isNaN(n) && !/nan/i.test(text(body))) throw new MalformedRequest('bad double');
      return n;
    }
    case 'dateTime.iso8601':
      return text(body).trim();
    case 'base64':
      return Buffer.from(text(body).trim(), 'base64').toString('utf8');
    case 'nil':
      return null;
    case 'array': {
      const data = only(body, 'data')[0];
      return data ? only(kids(data), 'value').map(decodeValue) : [];
    }
    case 'struct': {
      const out: Record<string, Value> = {};
      for (const m of only(body, 'member')) {
        const name = only(kids(m), 'name')[0];
        const v = only(kids(m), 'value')[0];
        if (!name || !v) throw new MalformedRequest('struct member without name or value');
        out[text(kids(name))] = decodeValue(v);
      }
      return out;
    }
    default:
      throw new MalformedRequest(`unknown XML-RPC type <${tag}>`);
  }
}

// Parses a standalone "<value>…</value>" string, e.g. a task's result field.
export function parseValueXml(xml: string): Value {
  const v = only(parseDocument(xml), 'value')[0];
  if (!v) throw new MalformedRequest('not a <value> element');
  return decodeValue(v);
}

const head = '<?xml version="1.0"?>';

export function renderSuccess(value: Wire): string {
  return `${head}<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name>${wireToXml(value)}</member></struct></value></param></params></methodResponse>`;
}

// The value alone, no Status struct: how xapi answers system.listMethods (api_server.ml `callback`).
export function renderBare(value: Wire): string {
  return `${head}<methodResponse><params><param>${wireToXml(value)}</param></params></methodResponse>`;
}

export function renderFailure(description: string[]): string {
  const items = description.map((d) => `<value>${escapeXml(d)}</value>`).join('');
  return `${head}<methodResponse><params><param><value><struct><member><name>Status</name><value>Failure</value></member><member><name>ErrorDescription</name><value><array><data>${items}</data></array></value></member></struct></value></param></params></methodResponse>`;
}

// Used by test clients: a methodCall with every param encoded the way XAPI clients do.
export function renderMethodCall(method: string, params: Wire[]): string {
  const body = params.map((p) => `<param>${wireToXml(p)}</param>`).join('');
  return `${head}<methodCall><methodName>${escapeXml(method)}</methodName><params>${body}</params></methodCall>`;
}

export function parseMethodResponse(xml: string): Value {
  const resp = only(parseDocument(xml), 'methodResponse')[0];
  const params = resp && only(kids(resp), 'params')[0];
  const param = params && only(kids(params), 'param')[0];
  const value = param && only(kids(param), 'value')[0];
  if (!value) throw new MalformedRequest('not a methodResponse');
  return decodeValue(value);
}
