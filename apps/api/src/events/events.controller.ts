import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { EventRepository, LOGGER, fieldError } from '@xenplane/core';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { EventHub } from './event-hub.service.js';
import { EventStream } from './event-stream.js';
import { EventsQuery } from './events.dto.js';

const EXAMPLE =
  ': keep-alive\n\nid: 42\nevent: vm.running\ndata: {"id":42,"type":"vm.running","tenantId":"…","resourceType":"vm","resourceId":"…",' +
  '"createdAt":"2026-12-03T19:00:00.000Z","data":{"id":"…","name":"web-1","status":"running","previousStatus":"provisioning"}}\n\n';

@ApiTags('events')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly hub: EventHub,
    private readonly events: EventRepository,
    private readonly access: TenantAccessService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'the id of the last event received: the stream resumes after it' })
  @ApiOkResponse({
    description: 'Server-Sent Events, one per committed change, ids increasing in commit order; comment lines as heartbeats',
    content: { 'text/event-stream': { schema: { type: 'string' }, example: EXAMPLE } },
  })
  @ApiDoc({
    summary: 'The event stream (Server-Sent Events)',
    description:
      "Every operation's progress (`operation.accepted`, `operation.running`, `operation.step`, `operation.succeeded`, `operation.failed` " +
      'with `errorCode` and `errorDetail`) and every status change of VMs, volumes, networks, snapshots, images, NICs and provider networks ' +
      '(`<kind>.<status>`, e.g. `vm.running`, with `previousStatus`), appended when the change commits: nothing for a rolled-back change. ' +
      "Tenant keys see their tenant's events; operator keys every tenant's (or one, with `?tenantId=`) and operators' own. " +
      'Resumable: send `Last-Event-ID` (or `?after=`) and the stream sends everything after it still kept (EVENT_RETENTION_HOURS, default 7 days), ' +
      'then goes on live. Without one it starts now. `?types=vm.,operation.failed` sends only those prefixes; `?follow=false` ends after the backlog; ' +
      "`?named=false` leaves out the `event:` line (a browser EventSource's `onmessage` then gets every type). The web console's session cookie is accepted here. " +
      'Open streams are limited per key (EVENTS_MAX_STREAMS_PER_KEY, default 5) and per tenant (EVENTS_MAX_STREAMS_PER_TENANT, default 20) in each API process: ' +
      'one more is 429 `stream_limit_reached` (with `limit`, `open`).',
    errors: ['stream_limit_reached'],
  })
  async stream(
    @CurrentPrincipal() p: Principal,
    @Query() q: EventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const tenantId = await this.access.resolveList(p, q.tenantId);
    if (lastEventId !== undefined && !/^(0|[1-9]\d{0,15})$/.test(lastEventId.trim()))
      throw fieldError('Last-Event-ID', 'must be the id of an event this stream sent (a non-negative integer)');
    const after = lastEventId !== undefined ? Number(lastEventId.trim()) : (q.after ?? (await this.events.head()));
    const release = this.hub.admit(p.tenantId, p.keyId);
    const opts = { tenantId, after, types: q.types ?? [], follow: q.follow !== 'false', named: q.named !== 'false' };
    try {
      await new EventStream(res, opts, this.hub, this.events, this.logger, release).run();
    } catch (err) {
      release();
      throw err;
    }
  }
}
