import { Module } from '@nestjs/common';
import { EventsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { EventsController } from './events.controller.js';
import { EventHub } from './event-hub.service.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** The event stream (SSE, fed by one hub per process from NOTIFY events) and tenants' webhooks (delivered by the worker). */
@Module({
  imports: [EventsDataModule, TenancyModule],
  controllers: [EventsController, WebhooksController],
  providers: [EventHub, WebhooksService],
})
export class EventsModule {}
