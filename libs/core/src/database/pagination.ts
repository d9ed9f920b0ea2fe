import { fieldError } from '../errors/validation-failed.error.js';

export type SortOrder = 'asc' | 'desc';

export interface PageRequest {
  limit: number;
  cursor?: string;
  /** By (created_at, id); the API's lists default to `desc` (newest first), callers that leave it out get `asc`. */
  order?: SortOrder;
}

/** What a list may be narrowed to; every field optional. */
export interface ListFilter {
  /** Any of these statuses; without it, deleted rows are left out (where the list has a deleted status). */
  status?: string[];
  /** Case-insensitive substring of the name. */
  name?: string;
  /** Created at or after. */
  since?: Date;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface CursorPosition {
  createdAt: Date;
  id: string;
}

// Exactly what encodeCursor writes: a 4-digit-year ISO instant (always a timestamp Postgres can hold) and a lowercase UUID.
const POSITION_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]{1,200}$/;

/** Opaque keyset cursor over (created_at, id), stable under concurrent inserts. */
export function encodeCursor(pos: CursorPosition): string {
  return Buffer.from(`${pos.createdAt.toISOString()}|${pos.id}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one encodeCursor could have written. */
export function parseCursor(cursor: string): CursorPosition | null {
  if (!BASE64URL_RE.test(cursor)) return null;
  const m = POSITION_RE.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) return null;
  const createdAt = new Date(m[1]);
  // Round-trips only for real instants: 2026-02-30 or 24:00 would be shifted by Date, so are refused.
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== m[1]) return null;
  const pos = { createdAt, id: m[2] };
  return encodeCursor(pos) === cursor ? pos : null;
}

export function decodeCursor(cursor: string): CursorPosition {
  const pos = parseCursor(cursor);
  if (!pos) throw fieldError('cursor', 'is not a cursor this API issued', 'cursor is not valid');
  return pos;
}

/** Builds a page from `limit + 1` rows fetched in (created_at, id) order, either way. */
export function toPage<T extends CursorPosition>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
