/** A parsed XAPI datamodel type (the grammar used by xenapi.json: `int`, `VM ref set`, `(string -> int) map`...). */
export type XapiType =
  | { kind: 'int' | 'float' | 'bool' | 'datetime' | 'string' | 'void' | 'event batch' }
  | { kind: 'set'; of: XapiType }
  | { kind: 'map'; key: XapiType; value: XapiType }
  | { kind: 'record'; cls: string };

const cache = new Map<string, XapiType>();
const SCALARS = new Set(['int', 'float', 'bool', 'datetime', 'string', 'void', 'event batch']);

/** Parses a datamodel type string; unknown shapes (refs, enums) are treated as strings. */
export function parseXapiType(text: string): XapiType {
  const cached = cache.get(text);
  if (cached) return cached;
  const parsed = parse(text.trim());
  cache.set(text, parsed);
  return parsed;
}

function parse(t: string): XapiType {
  if (t === 'an event batch') return { kind: 'event batch' };
  if (SCALARS.has(t)) return { kind: t as 'int' };
  if (t.endsWith(' option')) return parse(t.slice(0, -7));
  if (t.endsWith(' set') && !t.endsWith(') set')) return { kind: 'set', of: parse(t.slice(0, -4)) };
  if (t.endsWith(' map') || t.endsWith(' set')) {
    const close = matchingParen(t);
    const inner = t.slice(1, close);
    const suffix = t.slice(close + 1).trim();
    if (suffix === 'set') return { kind: 'set', of: parse(inner) };
    const arrow = topLevelArrow(inner);
    return { kind: 'map', key: parse(inner.slice(0, arrow)), value: parse(inner.slice(arrow + 4)) };
  }
  if (t.endsWith(' record')) return { kind: 'record', cls: t.slice(0, -7) };
  return { kind: 'string' };
}

function matchingParen(t: string): number {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth === 0) return i;
  }
  throw new Error(`unbalanced XAPI type: ${t}`);
}

function topLevelArrow(t: string): number {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')') depth--;
    else if (depth === 0 && t.startsWith(' -> ', i)) return i;
  }
  throw new Error(`XAPI map type without arrow: ${t}`);
}
