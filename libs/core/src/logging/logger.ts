import { pino, type DestinationStream, type Logger } from 'pino';
import type { LoggerService } from '@nestjs/common';
import { requestContext } from '../context/request-context.js';
import { redactMessage, safeError } from './safe-error.js';

function serializeErr(err: unknown): unknown {
  try {
    return typeof err === 'string' ? redactMessage(err) : safeError(err);
  } catch {
    // A log call must never throw into the code that was reporting a failure.
    return { type: 'unserializable' };
  }
}

/**
 * JSON logs on stdout (or `destination`); every line carries the request/operation ids of the current context, and
 * an `err` is logged by safeError (never with the values a failed query or request carried).
 */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'msg',
      serializers: { err: serializeErr },
      mixin: () => {
        const ctx = requestContext.current();
        return ctx ? { requestId: ctx.requestId, tenantId: ctx.tenantId, operationId: ctx.operationId } : {};
      },
    },
    destination,
  );
}

/** Routes NestJS's own log calls into pino so that every line is JSON. */
// Nest's own start-up chatter (each module, controller and route mapped): debug, so `info` shows what an operator acts on.
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    if (context && FRAMEWORK_CONTEXTS.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
