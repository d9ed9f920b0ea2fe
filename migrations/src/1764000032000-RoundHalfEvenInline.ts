import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * round_half_even, same body, no longer STRICT (issue 20): the planner inlines a non-strict one-expression SQL
 * function, a STRICT one it calls per row (about 2.5 µs, twice per hourly record). Null in still gives null out.
 */
export class RoundHalfEvenInline1764000032000 implements MigrationInterface {
  name = 'RoundHalfEvenInline1764000032000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(roundHalfEven(''));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(roundHalfEven('STRICT'));
  }
}

const roundHalfEven = (strict: string) => `
  CREATE OR REPLACE FUNCTION round_half_even(v numeric, s int) RETURNS numeric LANGUAGE sql IMMUTABLE ${strict} AS $$
    SELECT CASE WHEN abs(v * power(10::numeric, s) - trunc(v * power(10::numeric, s))) = 0.5
                 AND mod(trunc(v * power(10::numeric, s)), 2) = 0 THEN trunc(v, s) ELSE round(v, s) END
  $$`;
