import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError } from '@xenplane/core';

function flatten(errors: ValidationError[], parent = ''): { path: string; message: string }[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ path, message }));
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/** DTO validation: unknown fields are refused, and each problem names its field path. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const list = flatten(errors);
      return new DomainError('validation_failed', list.map((e) => `${e.path}: ${e.message}`).join('; ') || 'invalid request', { errors: list });
    },
  });
}
