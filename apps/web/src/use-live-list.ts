import { useRef } from 'react';
import { ApiError } from '@xenplane/client';
import { api, type Page } from './api.js';
import { subjectOf } from './live.js';
import { usePoll, useLiveEvents } from './use-poll.js';

export type Row = Record<string, unknown>;

/**
 * A list kept live by the event stream without listing again: an event about one of its rows patches the row's status
 * at once, then that one row is read (`GET <path>/<id>`: 404 drops it); a new row of the kind is read and put first
 * (lists are newest first). Listing happens once, and again only while the stream is down (the poll fallback).
 */
export function useLiveList(path: string, kind: string | undefined, everyMs = 5000) {
  // Most lists are pages; a few small ones (a group's rules) are a bare array.
  const list = usePoll(
    async () => {
      const body = await api.send<Page<Row> | Row[]>('GET', path);
      return Array.isArray(body) ? body : body.items;
    },
    [path],
    everyMs,
  );
  const reading = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  // Operations the stream said ended: an answer still naming one as running is older than what the list shows.
  const ended = useRef(new Set<string>());
  const [base, query] = path.split('?');
  // Trailing: a burst of events about one row is one read, made after the last of them.
  const readOne = (id: string, known: boolean) => {
    clearTimeout(reading.current.get(id));
    const t = setTimeout(() => {
      reading.current.delete(id);
      api.send<Row>('GET', `${base}/${id}${query ? `?${query}` : ''}`).then(
        (row) =>
          list.setData((rows) => {
            const others = (rows ?? []).filter((r) => r.id !== id);
            // A deleted row (kept as `deleted` by some kinds) leaves the list as it does when listed.
            if (row.status === 'deleted') return others;
            return rows?.some((r) => r.id === id) ? rows.map((r) => (r.id === id ? row : r)) : [row, ...others];
          }),
        (err: unknown) => {
          if (known && err instanceof ApiError && err.status === 404) list.setData((rows) => rows?.filter((r) => r.id !== id));
        },
      );
    }, 150);
    reading.current.set(id, t);
  };
  useLiveEvents((e) => {
    if (e.type === 'operation.succeeded' || e.type === 'operation.failed') ended.current.add(e.resourceId);
    if (!kind || !list.data) return;
    const subject = e.resourceType === kind ? { type: kind, id: e.resourceId } : subjectOf(e);
    if (subject.type !== kind) return;
    const known = list.data.some((r) => r.id === subject.id);
    if (!known && e.resourceType !== kind) return;
    const status = e.resourceType === kind ? e.data.status : undefined;
    if (known && typeof status === 'string')
      list.setData((rows) =>
        status === 'deleted' ? rows?.filter((r) => r.id !== subject.id) : rows?.map((r) => (r.id === subject.id ? { ...r, status } : r)),
      );
    readOne(subject.id, known);
  });
  /** Shows a row as an answer gave it, unless the stream has already moved past it. */
  const put = (row: Row) => {
    const op = (row.operation as { id?: string } | null | undefined)?.id;
    if (op && ended.current.has(op)) return;
    list.setData((rows) => rows?.map((r) => (r.id === row.id ? row : r)));
  };
  return { ...list, put };
}
