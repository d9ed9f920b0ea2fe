import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { ApiKeyRole } from '@xenplane/core';

export class CreateSessionDto {
  @ApiProperty({ description: 'an API key (tenant or operator); it is exchanged, never kept by the browser', maxLength: 512, writeOnly: true })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  apiKey: string;
}

export class SessionView {
  @ApiProperty({
    description: 'send it back in the `X-Xenplane-CSRF` header on every POST, PUT, PATCH and DELETE made with the session cookie',
  })
  csrfToken: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'the session ends then (absolute: use does not extend it); log in again' })
  expiresAt: string;

  @ApiProperty({ enum: ['operator', 'admin', 'member'] })
  role: ApiKeyRole;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "the key's tenant; null for operator keys" })
  tenantId: string | null;

  @ApiProperty({ description: "the exchanged key's name" })
  keyName: string;
}
