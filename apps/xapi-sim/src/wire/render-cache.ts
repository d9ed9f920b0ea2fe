// Rendered text of whole records, reused until the store changes the record (get_all_records at 10,000 VMs).
import type { Value } from '../datamodel/defaults.js';
import { scalar } from '../datamodel/defaults.js';

const json = new WeakMap<object, string>();
const xml = new WeakMap<object, string>();

export const renderCache = { json, xml };

// The store calls this on every change to a record, in place or not.
export function forgetRendered(record: object): void {
  json.delete(record);
  xml.delete(record);
}

export const isObject = (v: Value | undefined): v is { [key: string]: Value } => typeof v === 'object' && v !== null && !Array.isArray(v);
export const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : scalar(v));

export function escapeXml(s: string): string {
  return /[&<>"]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') : s;
}

// Floats always carry a decimal point; some clients mis-type "1" as an int.
export function formatDouble(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}
