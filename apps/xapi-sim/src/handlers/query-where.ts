// get_all_records_where's expression language: field "name"="value", <>, and/or/not, parentheses.
import type { Value, XRecord } from '../datamodel/defaults.js';
import { fail } from '../rpc/xapi-error.js';

type Expr = (r: XRecord) => boolean;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(<>|=|\(|\))|([A-Za-z_]+))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) fail('INTERNAL_ERROR', `Invalid expression: ${text}`);
    tokens.push(m[1] ?? m[2] ?? m[3].toLowerCase());
    pos = re.lastIndex;
  }
  return tokens;
}

function show(v: Value | undefined): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v ?? '');
}

export function parseWhere(text: string): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const bad = (): never => fail('INTERNAL_ERROR', `Invalid expression: ${text}`);
  const next = () => tokens[i++] ?? bad();
  const literal = (tok: string) => (tok.startsWith('"') ? tok.slice(1, -1).replace(/\\(.)/g, '$1') : bad());
  const operand = (): ((r: XRecord) => string) => {
    const tok = next();
    if (tok === 'field') {
      const name = literal(next());
      return (r) => show(r[name]);
    }
    const value = literal(tok);
    return () => value;
  };
  const unary = (): Expr => {
    const tok = tokens[i];
    if (tok === 'not')
      return (
        i++,
        (
          (e: Expr) => (r: XRecord) =>
            !e(r)
        )(unary())
      );
    if (tok === '(') {
      i++;
      const e = or();
      if (next() !== ')') bad();
      return e;
    }
    if (tok === 'true' || tok === 'false') return (i++, () => tok === 'true');
    const left = operand();
    const op = next();
    const right = operand();
    if (op === '=') return (r) => left(r) === right(r);
    if (op === '<>') return (r) => left(r) !== right(r);
    return bad();
  };
  const and = (): Expr => {
    let e = unary();
    while (tokens[i] === 'and') {
      i++;
      const [a, b] = [e, unary()];
      e = (r) => a(r) && b(r);
    }
    return e;
  };
  const or = (): Expr => {
    let e = and();
    while (tokens[i] === 'or') {
      i++;
      const [a, b] = [e, and()];
      e = (r) => a(r) || b(r);
    }
    return e;
  };
  if (tokens.length === 0) return () => true;
  const expr = or();
  if (i !== tokens.length) bad();
  return expr;
}
