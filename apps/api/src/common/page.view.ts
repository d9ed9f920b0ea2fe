import { ApiProperty } from '@nestjs/swagger';
import type { Page } from '@xenplane/core';

type Ctor<T> = new (...args: never[]) => T;
const cache = new Map<Ctor<unknown>, Ctor<unknown>>();

/** An OpenAPI-described `{items, nextCursor}` class for item type `item`. */
export function PageOf<T>(item: Ctor<T>): Ctor<{ items: T[]; nextCursor: string | null }> {
  const hit = cache.get(item);
  if (hit) return hit as Ctor<{ items: T[]; nextCursor: string | null }>;
  class PageView {
    @ApiProperty({ type: [item] }) items: T[];
    @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
  }
  Object.defineProperty(PageView, 'name', { value: `${item.name.replace(/View$/, '')}Page` });
  cache.set(item, PageView);
  return PageView;
}

export function mapPage<E, V>(page: Page<E>, view: (e: E) => V): { items: V[]; nextCursor: string | null } {
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}
