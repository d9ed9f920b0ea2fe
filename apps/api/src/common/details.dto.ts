import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export const MAX_TAGS = 20;
export const TAG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:=/@+-]*$';
const TAG_RE = new RegExp(TAG_PATTERN);

/** What a tenant may say about its VM or network beside the name: free text and tags (a tags list replaces the old one). */
export class DetailsDto {
  @ApiPropertyOptional({ maxLength: 1000, description: 'free text (line breaks allowed); "" clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 64, pattern: TAG_PATTERN },
    maxItems: MAX_TAGS,
    uniqueItems: true,
    description: `up to ${MAX_TAGS} tags of 1 to 64 characters (letters, digits and . _ : = / @ + -, e.g. env=prod); replaces the list`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @ArrayUnique()
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(64, { each: true })
  @Matches(TAG_RE, { each: true, message: 'each tag must be 1 to 64 letters, digits or . _ : = / @ + -, starting with a letter or digit' })
  tags?: string[];
}

/** The detail fields a patch changes (null, as @IsOptional takes it, is left out like a missing field). */
export function detailsOf(dto: DetailsDto & { name?: string }): { name?: string; description?: string; tags?: string[] } {
  const out: { name?: string; description?: string; tags?: string[] } = {};
  if (dto.name != null) out.name = dto.name;
  if (dto.description != null) out.description = dto.description;
  if (dto.tags != null) out.tags = dto.tags;
  return out;
}
