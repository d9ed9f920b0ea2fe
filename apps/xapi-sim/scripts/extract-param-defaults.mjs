// Writes data/xapi-param-defaults.json: the parameters xapi gives defaults to (`param_default` in its IDL),
// which xenapi.json does not carry. Source: a xen-api checkout, or a bare git dir (read at HEAD).
// Usage: node apps/xapi-sim/scripts/extract-param-defaults.mjs <xen-api dir or git dir> [xenapi.json]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [source, jsonArg] = process.argv.slice(2);
if (!source) throw new Error('usage: extract-param-defaults.mjs <xen-api checkout or git dir> [xenapi.json]');
const jsonPath = jsonArg ?? fileURLToPath(new URL('../../../../shared/reference/xapi/xenapi.json', import.meta.url));
const out = new URL('../data/xapi-param-defaults.json', import.meta.url);

// Reads ocaml/idl/<file> from a work tree, or from HEAD of a (bare) git dir.
const bare = !existsSync(join(source, 'ocaml'));
const git = (...args) => execFileSync('git', ['--git-dir', bare ? source : join(source, '.git'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const idlFiles = bare
  ? git('ls-tree', '--name-only', 'HEAD', 'ocaml/idl/')
      .split('\n')
      .filter((p) => /\/datamodel[a-z_]*\.ml$/.test(p))
  : readdirSync(join(source, 'ocaml/idl'))
      .filter((f) => /^datamodel[a-z_]*\.ml$/.test(f))
      .map((f) => `ocaml/idl/${f}`);
const read = (p) => (bare ? git('show', `HEAD:${p}`) : readFileSync(join(source, p), 'utf8'));
const commit = git('rev-parse', 'HEAD').trim();

// OCaml tokens: strings, quoted strings, comments (nested), identifiers with module paths, numbers, punctuation.
function tokenize(text) {
  const toks = [];
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (text.startsWith('(*', i)) {
      let depth = 0;
      do {
        if (text.startsWith('(*', i)) {
          depth++;
          i += 2;
        } else if (text.startsWith('*)', i)) {
          depth--;
          i += 2;
        } else if (text[i] === '"') i = skipString(text, i);
        else i++;
      } while (depth > 0 && i < text.length);
      continue;
    }
    if (c === '"') {
      const end = skipString(text, i);
      toks.push({ s: JSON.parse(JSON.stringify(text.slice(i + 1, end - 1))), str: true });
      i = end;
      continue;
    }
    if (text.startsWith('{|', i)) {
      const end = text.indexOf('|}', i);
      toks.push({ s: text.slice(i + 2, end), str: true });
      i = end + 2;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_']*(\.[A-Za-z_][A-Za-z0-9_']*)*|^-?\d[\d_]*(\.\d+)?L?/.exec(text.slice(i, i + 200));
    if (m) {
      toks.push({ s: m[0] });
      i += m[0].length;
      continue;
    }
    toks.push({ s: c });
    i++;
  }
  return toks;
}

function skipString(text, i) {
  for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
  return i + 1;
}

const open = new Set(['(', '[', '{']),
  close = new Set([')', ']', '}']);

// Index just past the balanced group starting at toks[i] (an opening bracket).
function groupEnd(toks, i) {
  let depth = 0;
  for (; i < toks.length; i++) {
    if (!toks[i].str && open.has(toks[i].s)) depth++;
    else if (!toks[i].str && close.has(toks[i].s) && --depth === 0) return i + 1;
  }
  throw new Error('unbalanced');
}

// Evaluates a params expression: `[r; r]`, `r :: l`, `l @ l`, `(e)`, a let-bound name or `f arg` (f's body),
// where a record r is `{...}`, `{r with f= v}` or a let-bound name. Returns [{name, default}].
function evalParams(toks, from, to, lets, constants) {
  const parts = splitTop(toks, from, to, ['::', '@']);
  if (parts.length > 1)
    return parts.flatMap(([a, b], k) =>
      parts.ops[k] === '::' ? [evalRecord(toks, a, b, lets, constants)] : evalParams(toks, a, b, lets, constants),
    );
  if (toks[from].s === '(' && groupEnd(toks, from) === to) return evalParams(toks, from + 1, to - 1, lets, constants);
  if (toks[from].s === '[')
    return splitTop(toks, from + 1, to - 1, [';'])
      .filter(([a, b]) => b > a)
      .map(([a, b]) => evalRecord(toks, a, b, lets, constants));
  const def = lookup(lets, toks[from].s, from) ?? fail(`unknown params list ${toks[from].s}`);
  return evalParams(toks, def[0], def[1], lets, constants);
}

function evalRecord(toks, from, to, lets, constants) {
  if (toks[from].s === '(' && groupEnd(toks, from) === to) return evalRecord(toks, from + 1, to - 1, lets, constants);
  if (toks[from].s !== '{') {
    const def = lookup(lets, toks[from].s, from) ?? fail(`unknown param ${toks[from].s}`);
    return evalRecord(toks, def[0], def[1], lets, constants);
  }
  let base = {},
    start = from + 1;
  if (toks[from + 2]?.s === 'with') {
    base = evalRecord(toks, from + 1, from + 2, lets, constants);
    start = from + 3;
  }
  const rec = { ...base };
  for (const [a, b] of splitTop(toks, start, to - 1, [';'])) {
    if (b <= a || toks[a + 1]?.s !== '=') continue;
    const field = toks[a].s,
      value = toks.slice(a + 2, b);
    if (field === 'param_name') rec.name = value[0].s;
    if (field === 'param_default') rec.default = defaultOf(value, constants);
  }
  return rec;
}

// Top-level [from, to) sub-ranges separated by any of `seps` (`::` is two ':' tokens); `.ops` lists the separators met.
function splitTop(toks, from, to, seps) {
  const parts = [];
  parts.ops = [];
  let d = 0,
    start = from;
  for (let i = from; i < to; i++) {
    const t = toks[i];
    if (!t.str && open.has(t.s)) d++;
    else if (!t.str && close.has(t.s)) d--;
    else if (d === 0 && !t.str) {
      const op = t.s === ':' && toks[i + 1]?.s === ':' ? '::' : t.s;
      if (seps.includes(op)) {
        parts.push([start, i]);
        parts.ops.push(op);
        i += op.length - 1;
        start = i + 1;
      }
    }
  }
  parts.push([start, to]);
  return parts;
}

// The last `let name ... =` before `pos` (names repeat across modules).
function lookup(lets, name, pos) {
  let hit;
  for (const l of lets.get(name) ?? []) if (l.at < pos) hit = l.range;
  return hit;
}

// `None` or `Some (VString "x")`, `Some (VMap [])`, `Some (VInt Constants.x)`, ... as a JSON value.
function defaultOf(tokens, constants) {
  const words = tokens.map((t) => t.s).filter((s) => s !== '(' && s !== ')');
  if (words[0] !== 'Some') return undefined;
  const [kind, ...rest] = words.slice(1);
  const arg = rest.join(' ');
  const lit = (v) => (v.startsWith('Constants.') ? (constants.get(v.slice(10)) ?? fail(`unknown constant ${v}`)) : v);
  const str = () => tokens.find((t) => t.str)?.s ?? (arg === 'null_ref' ? 'OpaqueRef:NULL' : fail(`string default ${arg}`));
  switch (kind) {
    case 'VString':
    case 'VEnum':
    case 'VRef':
      return tokens.find((t) => t.str) ? str() : arg === 'null_ref' ? 'OpaqueRef:NULL' : fail(`default ${kind} ${arg}`);
    case 'VBool':
      return lit(arg) === 'true';
    case 'VInt':
      return Number(lit(arg).replace(/L$/, ''));
    case 'VFloat':
      return Number(lit(arg));
    case 'VSet': // of strings: [VString "a"; ...]
      if (rest.every((w, k) => (k % 2 === 0 ? ['[', ']', ';', 'VString'].includes(w) || tokens.some((t) => t.str && t.s === w) : true)))
        return tokens.filter((t) => t.str).map((t) => t.s);
      break;
    case 'VMap': {
      // of strings: [(VString "k", VString "v"); ...]
      const strs = tokens.filter((t) => t.str).map((t) => t.s);
      if (rest.filter((w) => !['[', ']', ';', ',', 'VString'].includes(w)).length === strs.length && strs.length % 2 === 0) {
        return Object.fromEntries(strs.flatMap((v, k) => (k % 2 === 0 ? [[v, strs[k + 1]]] : [])));
      }
      break;
    }
    case 'VDateTime':
      if (arg === 'Date.epoch') return '19700101T00:00:00Z';
      break;
  }
  return fail(`cannot read default ${kind} ${arg}`);
}

function fail(msg) {
  throw new Error(msg);
}

const constants = new Map();
for (const m of read('ocaml/xapi-consts/constants.ml').matchAll(/let\s+([a-z_0-9]+)\s*=\s*(-?\d[\d_.]*L?|true|false)\s/g)) constants.set(m[1], m[2]);

// Every `call ... ()` with a literal ~name and ~versioned_params (inline, or a let-bound list or function).
const calls = [];
for (const file of idlFiles) {
  const toks = tokenize(read(file));
  const lets = new Map(); // `let x = ...` / `let f arg = ...` up to the next top-level let/in/end: name -> [{at, range}]
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].str || toks[i].s !== 'let') continue;
    let j = i + 2;
    while (j < i + 6 && toks[j] && toks[j].s !== '=') j++;
    if (toks[j]?.s !== '=') continue;
    let end = j + 1;
    for (let d = 0; end < toks.length; end++) {
      const t = toks[end];
      if (!t.str && open.has(t.s)) d++;
      else if (!t.str && close.has(t.s)) {
        if (--d < 0) break;
      } else if (d === 0 && !t.str && ['let', 'in', 'end', 'and'].includes(t.s)) break;
    }
    const name = toks[i + 1].s;
    lets.set(name, [...(lets.get(name) ?? []), { at: i, range: [j + 1, end] }]);
  }
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].str || toks[i].s !== 'call' || toks[i + 1]?.s !== '~') continue;
    let name, params;
    for (let j = i + 1; j < toks.length; j++) {
      const t = toks[j];
      if (!t.str && t.s === '(' && toks[j + 1]?.s === ')') break; // the final ()
      if (!t.str && open.has(t.s)) {
        j = groupEnd(toks, j) - 1;
        continue;
      }
      if (t.s !== '~' || toks[j + 2]?.s !== ':') continue;
      const label = toks[j + 1].s,
        v = j + 3;
      if (label === 'name' && toks[v].str) name = toks[v].s;
      if (label === 'versioned_params') {
        // the value: one bracketed group, or a name (possibly applied to one argument)
        const end = open.has(toks[v].s) ? groupEnd(toks, v) : v + 1;
        params = evalParams(toks, v, end, lets, constants);
      }
    }
    if (name && params) calls.push({ file, name, params });
  }
}

// Match each call to xenapi.json messages by name and parameters: the snapshot's parameters are a prefix of the IDL's
// (newer xapi appends parameters, with defaults). Defaults of parameters the snapshot lacks are kept too: a message
// with any default also accepts (and ignores) extra trailing arguments, as xapi's generated dispatcher does.
const classes = JSON.parse(readFileSync(jsonPath, 'utf8'));
const defaults = {};
let matched = 0;
for (const c of calls.filter((x) => x.params.some((p) => p.default !== undefined))) {
  const names = c.params.map((p) => p.name);
  const isPrefix = (m) => m.params.filter((p) => p.name !== 'session_id').every((p, k) => p.name === names[k]);
  const hits = classes.flatMap((k) => k.messages.filter((m) => m.name === c.name && isPrefix(m)).map(() => `${k.name}.${c.name}`));
  if (hits.length === 0) {
    console.warn(`not in xenapi.json: ${c.name}(${names}) from ${c.file}`);
    continue;
  }
  const firstDefault = c.params.findIndex((p) => p.default !== undefined);
  if (c.params.slice(firstDefault).some((p) => p.default === undefined)) fail(`${c.name}: a parameter without default follows one with a default`);
  const entry = Object.fromEntries(c.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default]));
  for (const method of hits) {
    if (defaults[method] && JSON.stringify(defaults[method]) !== JSON.stringify(entry)) fail(`${method}: conflicting defaults`);
    defaults[method] = entry;
  }
  matched++;
}
const sorted = Object.fromEntries(
  Object.keys(defaults)
    .sort()
    .map((k) => [k, defaults[k]]),
);
writeFileSync(
  out,
  JSON.stringify({ source: `xapi-project/xen-api ${commit} ocaml/idl/datamodel*.ml (param_default)`, defaults: sorted }, null, 1) + '\n',
);
console.log(`wrote ${out.pathname}: ${Object.keys(sorted).length} methods from ${matched} IDL calls with defaults (${calls.length} calls read)`);
