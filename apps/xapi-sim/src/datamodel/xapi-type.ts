// Parses the datamodel's type strings ("(VM ref -> VM record) map", "enum vm_power_state", ...) into a tree.
export type XType =
  | { kind: 'string' | 'int' | 'float' | 'bool' | 'datetime' | 'void' | 'any' }
  | { kind: 'enum'; name: string }
  | { kind: 'ref'; cls: string }
  | { kind: 'record'; cls: string }
  | { kind: 'set'; of: XType }
  | { kind: 'map'; key: XType; value: XType }
  | { kind: 'option'; of: XType };

const scalars = new Set(['string', 'int', 'float', 'bool', 'datetime', 'void']);

export function parseType(text: string): XType {
  const t = text.trim();
  if (scalars.has(t)) return { kind: t as 'string' };
  if (t.startsWith('(') && t.endsWith(') map')) {
    const inner = t.slice(1, -5);
    const arrow = topLevelArrow(inner);
    if (arrow < 0) return { kind: 'any' };
    return { kind: 'map', key: parseType(inner.slice(0, arrow)), value: parseType(inner.slice(arrow + 4)) };
  }
  if (t.endsWith(' set')) return { kind: 'set', of: parseType(t.slice(0, -4)) };
  if (t.endsWith(' option')) return { kind: 'option', of: parseType(t.slice(0, -7)) };
  if (t.startsWith('enum ')) return { kind: 'enum', name: t.slice(5) };
  if (t.endsWith(' ref')) return { kind: 'ref', cls: t.slice(0, -4) };
  if (t.endsWith(' record') && !t.startsWith('<')) return { kind: 'record', cls: t.slice(0, -7) };
  return { kind: 'any' };
}

function topLevelArrow(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && text.startsWith(' -> ', i)) return i;
  }
  return -1;
}
