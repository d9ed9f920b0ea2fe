import { applyDecorators } from '@nestjs/common';
import { IsDateString, Matches } from 'class-validator';

// API.md: times are RFC 3339. An explicit offset is required: a bare date or a local time would be read in the
// server's time zone; four-digit years keep every accepted instant one Postgres can store.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** An RFC 3339 date-time with its offset, e.g. `2026-09-01T00:00:00Z`. */
export function IsInstant(): PropertyDecorator {
  return applyDecorators(
    IsDateString({ strict: true }),
    Matches(RFC3339, { message: '$property must be an RFC 3339 date-time with an offset, e.g. 2026-09-01T00:00:00Z' }),
  );
}
