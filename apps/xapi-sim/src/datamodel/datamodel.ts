// The XAPI datamodel (trimmed from xenapi.json into data/xapi-datamodel.json): classes, fields, messages, enums;
// parameter defaults come from xapi's IDL (data/xapi-param-defaults.json), which xenapi.json does not carry.
import { readFileSync } from 'node:fs';
import type { Value } from './defaults.js';
import { parseType, type XType } from './xapi-type.js';

export interface FieldDef {
  name: string;
  type: XType;
  qualifier: 'RW' | 'RO/constructor' | 'RO/runtime';
  default?: string;
}

export interface ParamDef {
  name: string;
  type: XType;
  default?: Value; // xapi's param_default (data/xapi-param-defaults.json): the call may leave it out
}

export interface MessageDef {
  cls: string;
  name: string;
  params: ParamDef[];
  result: XType;
  implicit: boolean;
  takesSession: boolean;
  hasDefaults: boolean; // xapi's dispatcher then ignores extra trailing arguments too
}

export interface ClassDef {
  name: string;
  fields: FieldDef[];
  field: Map<string, FieldDef>;
  messages: Map<string, MessageDef>;
}

interface RawDatamodel {
  classes: Array<{
    name: string;
    fields: Array<{ name: string; type: string; qualifier: FieldDef['qualifier']; default?: string }>;
    messages: Array<{ name: string; params: Array<[string, string]>; result: string; implicit: boolean }>;
  }>;
  enums: Record<string, string[]>;
}

export class Datamodel {
  readonly classes = new Map<string, ClassDef>();
  readonly enums = new Map<string, string[]>();
  private readonly lowerNames = new Map<string, string>();

  constructor(raw: RawDatamodel, paramDefaults: Record<string, Record<string, Value>> = {}) {
    for (const [name, values] of Object.entries(raw.enums)) this.enums.set(name, values);
    for (const c of raw.classes) {
      const fields = c.fields.map((f) => ({ name: f.name, type: parseType(f.type), qualifier: f.qualifier, default: f.default }));
      const messages = new Map<string, MessageDef>();
      for (const m of c.messages) {
        const defaults = paramDefaults[`${c.name}.${m.name}`];
        const params = m.params.map(([type, name]): ParamDef => ({
          name,
          type: parseType(type),
          ...(defaults && name in defaults ? { default: defaults[name] } : {}),
        }));
        const first = params[0]?.type;
        const takesSession = first?.kind === 'ref' && first.cls === 'session' && params[0]?.name === 'session_id';
        messages.set(m.name, {
          cls: c.name,
          name: m.name,
          params,
          result: parseType(m.result),
          implicit: m.implicit,
          takesSession,
          hasDefaults: defaults !== undefined,
        });
      }
      addRecordsWhere(c.name, messages);
      this.classes.set(c.name, { name: c.name, fields, field: new Map(fields.map((f) => [f.name, f])), messages });
      this.lowerNames.set(c.name.toLowerCase(), c.name);
    }
  }

  cls(name: string): ClassDef | undefined {
    return this.classes.get(name);
  }

  // event.from and event.inject name classes in lowercase; this maps them back.
  canonicalClass(name: string): string | undefined {
    return this.lowerNames.get(name.toLowerCase());
  }

  message(cls: string, name: string): MessageDef | undefined {
    return this.classes.get(cls)?.messages.get(name);
  }
}

// xapi serves <class>.get_all_records_where for every table although xenapi.json does not list it.
function addRecordsWhere(cls: string, messages: Map<string, MessageDef>): void {
  const all = messages.get('get_all_records');
  if (!all || messages.has('get_all_records_where')) return;
  const params = [...all.params, { name: 'expr', type: parseType('string') }];
  messages.set('get_all_records_where', { ...all, name: 'get_all_records_where', params });
}

let cached: Datamodel | undefined;

export function loadDatamodel(): Datamodel {
  if (!cached) {
    // Compiled code lives in dist/<dir>/, the data file in the project's data/ directory.
    const data = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../data/${name}`, import.meta.url), 'utf8'));
    cached = new Datamodel(
      data('xapi-datamodel.json') as RawDatamodel,
      (data('xapi-param-defaults.json') as { defaults: Record<string, Record<string, Value>> }).defaults,
    );
  }
  return cached;
}
