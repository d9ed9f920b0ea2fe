import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { decodeCursor, toPage, type Page, type PageRequest } from '../pagination.js';

/** Applies keyset pagination over (created_at, id) to `qb` and returns one page. */
export async function pageBy<T extends ObjectLiteral & { createdAt: Date; id: string }>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  page: PageRequest,
): Promise<Page<T>> {
  if (page.cursor) {
    const pos = decodeCursor(page.cursor);
    qb.andWhere(`(${alias}.created_at, ${alias}.id) > (:cursorTs, :cursorId)`, { cursorTs: pos.createdAt, cursorId: pos.id });
  }
  const rows = await qb
    .orderBy(`${alias}.created_at`, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .limit(page.limit + 1)
    .getMany();
  return toPage(rows, page.limit);
}
