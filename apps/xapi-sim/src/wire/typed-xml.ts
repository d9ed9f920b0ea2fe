// Renders a stored value as XML-RPC <value> text by datamodel type, straight into string parts.
import type { Datamodel } from '../datamodel/datamodel.js';
import type { Value } from '../datamodel/defaults.js';
import type { XType } from '../datamodel/xapi-type.js';
import { escapeXml, formatDouble, isObject, renderCache, text } from './render-cache.js';

export function typedXml(value: Value | undefined, type: XType, dm: Datamodel, out: string[]): void {
  switch (type.kind) {
    case 'string':
    case 'ref':
    case 'enum':
      out.push('<value>', escapeXml(text(value)), '</value>');
      return;
    case 'void':
      out.push('<value></value>');
      return;
    case 'int':
      out.push('<value>', String(Math.trunc(Number(value ?? 0))), '</value>');
      return;
    case 'float':
      out.push('<value><double>', formatDouble(Number(value ?? 0)), '</double></value>');
      return;
    case 'bool':
      out.push(value === true ? '<value><boolean>1</boolean></value>' : '<value><boolean>0</boolean></value>');
      return;
    case 'datetime':
      out.push('<value><dateTime.iso8601>', escapeXml(text(value)), '</dateTime.iso8601></value>');
      return;
    case 'set':
      out.push('<value><array><data>');
      if (Array.isArray(value)) for (const x of value) typedXml(x, type.of, dm, out);
      out.push('</data></array></value>');
      return;
    case 'map':
      out.push('<value><struct>');
      if (isObject(value))
        for (const k in value) {
          out.push('<member><name>', escapeXml(k), '</name>');
          typedXml(value[k], type.value, dm, out);
          out.push('</member>');
        }
      out.push('</struct></value>');
      return;
    case 'record': {
      const def = dm.cls(type.cls);
      if (!def) return untypedXml(value, out);
      const record = isObject(value) ? value : {}; // a missing record still shows every field, zero-valued
      let cached = renderCache.xml.get(record);
      if (cached === undefined) {
        const parts: string[] = ['<value><struct>'];
        for (const f of def.fields) {
          parts.push('<member><name>', f.name, '</name>');
          typedXml(record[f.name], f.type, dm, parts);
          parts.push('</member>');
        }
        parts.push('</struct></value>');
        renderCache.xml.set(record, (cached = parts.join('')));
      }
      out.push(cached);
      return;
    }
    case 'option':
      if (value === null || value === undefined) out.push('<value></value>');
      else typedXml(value, type.of, dm, out);
      return;
    default:
      untypedXml(value, out);
  }
}

// Values with no datamodel type: guessed from the JS type (64-bit ints untyped, as xapi sends them).
export function untypedXml(value: Value | undefined, out: string[]): void {
  if (typeof value === 'number')
    out.push(Number.isInteger(value) ? `<value>${value}</value>` : `<value><double>${formatDouble(value)}</double></value>`);
  else if (typeof value === 'boolean') out.push(`<value><boolean>${value ? 1 : 0}</boolean></value>`);
  else if (Array.isArray(value)) {
    out.push('<value><array><data>');
    for (const x of value) untypedXml(x, out);
    out.push('</data></array></value>');
  } else if (isObject(value)) {
    out.push('<value><struct>');
    for (const k in value) {
      out.push('<member><name>', escapeXml(k), '</name>');
      untypedXml(value[k], out);
      out.push('</member>');
    }
    out.push('</struct></value>');
  } else out.push('<value>', escapeXml(text(value)), '</value>');
}
