import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { decodeCursor, toPage, type ListFilter, type Page, type PageRequest } from '../pagination.js';

/** Applies keyset pagination over (created_at, id), in the page's order, to `qb` and returns one page. */
export async function pageBy<T extends ObjectLiteral & { createdAt: Date; id: string }>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  page: PageRequest,
): Promise<Page<T>> {
  const desc = page.order === 'desc';
  if (page.cursor) {
    const pos = decodeCursor(page.cursor);
    qb.andWhere(`(${alias}.created_at, ${alias}.id) ${desc ? '<' : '>'} (:cursorTs, :cursorId)`, { cursorTs: pos.createdAt, cursorId: pos.id });
  }
  const dir = desc ? 'DESC' : 'ASC';
  const rows = await qb
    .orderBy(`${alias}.created_at`, dir)
    .addOrderBy(`${alias}.id`, dir)
    .limit(page.limit + 1)
    .getMany();
  return toPage(rows, page.limit);
}

/**
 * Narrows `qb` to `filter`. `statusColumn`: the list's status (null: it has none); `hidden`: statuses left out unless
 * asked for by name (deleted rows). Names match as a case-insensitive substring, so no LIKE wildcard can be injected.
 */
export function filterBy<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  filter: ListFilter,
  opts: { statusColumn?: string | null; hidden?: string[]; nameColumn?: string | null } = {},
): SelectQueryBuilder<T> {
  const status = opts.statusColumn === undefined ? `${alias}.status` : opts.statusColumn;
  const name = opts.nameColumn === undefined ? `${alias}.name` : opts.nameColumn;
  if (status && filter.status?.length) qb.andWhere(`${status} IN (:...filterStatus)`, { filterStatus: filter.status });
  else if (status && opts.hidden?.length) qb.andWhere(`${status} NOT IN (:...hiddenStatus)`, { hiddenStatus: opts.hidden });
  if (name && filter.name !== undefined) qb.andWhere(`strpos(lower(${name}), lower(:filterName)) > 0`, { filterName: filter.name });
  if (filter.since) qb.andWhere(`${alias}.created_at >= :filterSince`, { filterSince: filter.since });
  return qb;
}
