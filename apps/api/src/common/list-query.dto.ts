import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import type { ListFilter } from '@xenplane/core';
import { IsInstant } from './instant.decorator.js';
import { PageQueryDto, TenantPageQueryDto } from './query.dto.js';

type Ctor<T> = new (...args: never[]) => T;

/** Query fields every filtered list takes beside its page: `since`, and `name` where the list has names. */
export interface FilterQuery {
  status?: string[];
  name?: string;
  since?: string;
}

/**
 * `Base` plus `?since=`, `?status=` (repeatable, one of `statuses`; none when the list has no status) and, when
 * `named`, `?name=`. `hidden`: the statuses left out unless asked for (said in the document, where clients read it).
 */
export function FilteredQuery<B extends PageQueryDto>(
  Base: Ctor<B>,
  statuses: readonly string[] | null,
  opts: { named?: boolean; hidden?: string[] } = {},
) {
  class Since extends (Base as Ctor<PageQueryDto>) implements FilterQuery {
    @ApiPropertyOptional({ format: 'date-time', description: 'created at or after this instant (RFC 3339 with an offset)' })
    @IsOptional()
    @IsInstant()
    since?: string;
  }
  let Filtered: Ctor<Since> = Since;
  if (statuses) {
    const hidden = opts.hidden?.length ? `; without it, ${opts.hidden.join(', ')} ones are left out` : '';
    class WithStatus extends Since {
      @ApiPropertyOptional({ type: [String], enum: statuses, description: `any of these statuses (repeat the parameter)${hidden}` })
      @IsOptional()
      // One value arrives as a string, a repeated one as an array (the simple query parser): both are a list here.
      @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
      @IsArray()
      @ArrayMaxSize(statuses.length)
      @IsIn(statuses, { each: true })
      status?: string[];
    }
    Filtered = WithStatus;
  }
  if (!opts.named) return Filtered as unknown as Ctor<B & FilterQuery>;
  class Named extends Filtered {
    @ApiPropertyOptional({ minLength: 1, maxLength: 100, description: 'names containing this text, ignoring case' })
    @IsOptional()
    @IsString()
    @MinLength(1)
    @MaxLength(100)
    name?: string;
  }
  return Named as unknown as Ctor<B & FilterQuery>;
}

/** What a repository takes of a filtered query: statuses, name and `since` as an instant. */
export function listFilter(q: FilterQuery): ListFilter {
  return { status: q.status, name: q.name, since: q.since === undefined ? undefined : new Date(q.since) };
}

export const TenantFilteredQuery = (statuses: readonly string[], opts: { named?: boolean; hidden?: string[] } = {}) =>
  FilteredQuery(TenantPageQueryDto, statuses, opts);
