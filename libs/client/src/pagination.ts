/** One page of a list route (`{items, nextCursor}`). */
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

/**
 * Every item of a cursor-paginated list, page after page: `fetchPage(cursor)` asks for one page (cursor undefined
 * for the first). Stops when the API answers no `nextCursor`.
 */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** All items of a paginated list, collected. */
export async function listAll<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of paginate(fetchPage)) out.push(item);
  return out;
}
