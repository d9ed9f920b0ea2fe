import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LoggerService } from '@nestjs/common';
import { requestContext } from '../context/request-context.js';

/** JSON logs on stdout (or `destination`: tests read the lines); every line carries the ids of the current context. */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    messageKey: 'msg',
    mixin: () => {
      const ctx = requestContext.current();
      return ctx ? { requestId: ctx.requestId, tenantId: ctx.tenantId, operationId: ctx.operationId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Routes NestJS's own log calls into pino so that every line is JSON. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
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
