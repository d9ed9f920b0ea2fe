// VM.snapshot_metadata: the VM's record at snapshot time as xapi writes it (Helpers.vm_to_string: an S-expression
// of ('field' 'value') pairs, SExpr quoting), read back by VM.revert.
import type { Datamodel } from '../datamodel/datamodel.js';
import type { Value, XRecord } from '../datamodel/defaults.js';

const quote = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

export function vmToString(record: XRecord): string {
  const fields = Object.entries(record).map(([k, v]) => `(${quote(k)} ${quote(typeof v === 'string' ? v : JSON.stringify(v))})`);
  return `(${fields.join(' ')})`;
}

// Inverse of vmToString; field types come from the datamodel (strings stay strings, the rest was JSON).
export function vmStringToRecord(text: string, dm: Datamodel): XRecord {
  const strings: string[] = [];
  const re = /'((?:[^'\\]|\\.)*)'/g;
  for (let m = re.exec(text); m; m = re.exec(text)) strings.push(m[1].replace(/\\(.)/g, '$1'));
  const vm = dm.cls('VM')!;
  const out: XRecord = {};
  for (let i = 0; i + 1 < strings.length; i += 2) {
    const [key, raw] = [strings[i], strings[i + 1]];
    const kind = vm.field.get(key)?.type.kind;
    if (!kind) continue;
    out[key] = ['string', 'ref', 'enum', 'datetime'].includes(kind) ? raw : (JSON.parse(raw) as Value);
  }
  return out;
}
