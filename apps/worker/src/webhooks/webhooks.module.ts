import { Module } from '@nestjs/common';
import { EventsDataModule } from '@xenplane/core';
import { WebhookDeliveryService } from './webhook-delivery.service.js';

/** Webhook deliveries from the event log (the API only registers webhooks). */
@Module({
  imports: [EventsDataModule],
  providers: [WebhookDeliveryService],
  exports: [WebhookDeliveryService],
})
export class WebhooksModule {}
