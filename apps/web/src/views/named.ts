import { api, type Page } from '../api.js';
import { usePoll } from '../use-poll.js';

export type Named = { id: string; name: string };

export const options = (items: Named[] = []) => items.map((i) => ({ value: i.id, label: i.name }));

/** A list's ids and names, read once (and polled only while the event stream is down). */
export const useNamed = (path: string) => usePoll(async () => (await api.send<Page<Named>>('GET', path)).items, [path], 0).data;

/** An id as a person reads it: the name of what it names (the id itself until the names are read), or — for none. */
export const nameOf = (items: Named[] | undefined, id: unknown): string =>
  typeof id === 'string' ? (items?.find((i) => i.id === id)?.name ?? id) : '—';
