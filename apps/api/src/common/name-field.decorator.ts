import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

// Names are shown to people: no control characters or line breaks, no bidi controls that make one name display as
// another ("invoice\u202Efdp.exe"), no lone surrogates. The document states it as the field's pattern.
export const NAME_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ud800-\\udfff]+$';
const NAME_RE = new RegExp(NAME_PATTERN, 'u');

/** A human-readable name of 1 to `maxLength` characters (required unless `optional`), validated and documented alike. */
export function NameField(opts: { example: string; maxLength: number; description?: string; optional?: boolean }): PropertyDecorator {
  const { optional, ...doc } = opts;
  return applyDecorators(
    ...(optional
      ? [ApiPropertyOptional({ ...doc, minLength: 1, pattern: NAME_PATTERN }), IsOptional()]
      : [ApiProperty({ ...doc, minLength: 1, pattern: NAME_PATTERN })]),
    IsString(),
    MinLength(1),
    MaxLength(opts.maxLength),
    Matches(NAME_RE, { message: '$property must not contain control, line-break or bidirectional-control characters' }),
  );
}
