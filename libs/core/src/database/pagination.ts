import { fieldError } from '../errors/validation-failed.error.js';

export interface PageRequest {
  limit: number;
  cursor?: string;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface CursorPosition {
  createdAt: Date;
  id: string;
}

/** Opaque keyset cursor over (created_at, id), stable under concurrent inserts. */
export function encodeCursor(pos: CursorPosition): string {
  return Buffer.from(`${pos.createdAt.toISOString()}|${pos.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  const [ts, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(ts ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw fieldError('cursor', 'is not a cursor this API issued', 'cursor is not valid');
  }
  return { createdAt, id };
}

/** Builds a page from `limit + 1` rows fetched in (created_at, id) order. */
export function toPage<T extends CursorPosition>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
