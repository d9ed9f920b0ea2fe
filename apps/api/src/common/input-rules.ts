// What any client value may hold, checked on every body, query and path value before its DTO sees it.
import type { FieldError } from '@xenplane/core';

// Control characters but tab and line ends, and lone surrogates: Postgres refuses NUL, UTF-8 cannot encode a lone
// surrogate (it would be stored as U+FFFD, silently changed), and the rest only ever hide or forge text.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\p{Cs}/u;
// class-transformer drops these silently, so validation would never refuse them as unknown fields.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// Far beyond any DTO of ours; deeper bodies would overflow the stack of class-transformer's recursive walk (a 500).
const MAX_DEPTH = 32;

export function textProblem(s: string): string | null {
  if (!FORBIDDEN_TEXT.test(s)) return null;
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  return /\p{Cs}/u.test(s) ? 'must be well-formed Unicode (no lone surrogates)' : 'must not contain control characters';
}

/** The first thing wrong with a value's shape or text, if any: too deep, a prototype key, or text no field may hold. */
export function inputProblem(value: unknown, root = ''): FieldError | null {
  const stack: [unknown, string, number][] = [[value, root, 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      const message = textProblem(v);
      if (message) return { path, message };
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH) return { path, message: `nested deeper than ${MAX_DEPTH} levels` };
    for (const [k, child] of Object.entries(v)) {
      const at = path ? `${path}.${k}` : k;
      if (!Array.isArray(v) && FORBIDDEN_KEYS.has(k)) return { path: at, message: 'is not an allowed field name' };
      stack.push([child, at, depth + 1]);
    }
  }
  return null;
}
