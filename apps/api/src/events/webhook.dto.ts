import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { WebhookEntity } from '@xenplane/core';

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/xenplane', maxLength: 2048, description: 'http:// or https://, on a public address' })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['vm.', 'operation.failed'],
    maxItems: 20,
    description: 'event type prefixes to deliver (default: every event)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[a-z_.]{1,64}$/, { each: true, message: 'each type prefix is lowercase letters, _ and . (e.g. vm. or operation.failed)' })
  events?: string[];
}

export class WebhookView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: [String] }) events: string[];
  @ApiProperty({
    enum: ['active', 'failed'],
    description: 'failed: an event could not be delivered for WEBHOOK_RETRY_FOR_MS (a day); nothing more is sent',
  })
  status: string;
  @ApiProperty({ type: 'integer', description: 'the last event id delivered (or not matching the filter)' }) cursor: number;
  @ApiProperty({ type: 'integer', description: 'failed attempts at the oldest undelivered event' }) attempts: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) nextAttemptAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) failingSince: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ nullable: true, type: 'integer' }) lastStatusCode: number | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastDeliveredAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, w: WebhookEntity): WebhookView {
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      id: w.id,
      url: w.url,
      events: w.events,
      status: w.status,
      cursor: Number(w.cursor),
      attempts: w.attempts,
      nextAttemptAt: iso(w.nextAttemptAt),
      failingSince: iso(w.failingSince),
      lastError: w.lastError,
      lastStatusCode: w.lastStatusCode,
      lastDeliveredAt: iso(w.lastDeliveredAt),
      createdAt: new Date(w.createdAt).toISOString(),
    };
  }
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({
    example: 'whsec_3q2-7wEAAAA…',
    nullable: true,
    type: String,
    description: 'the signing secret: shown only in this answer (null in an Idempotency-Key replay)',
  })
  secret: string | null;
}
