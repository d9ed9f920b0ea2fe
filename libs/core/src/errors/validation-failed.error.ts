import { DomainError } from './domain-error.js';

/** One thing wrong with the input: the field's dotted path (`items.0.unit`, `networkIds.1`) and what is wrong with it. */
export interface FieldError {
  path: string;
  message: string;
}

/** The one validation_failed error: its field errors answer as `errors: [{path, message}]`. */
export class ValidationFailedError extends DomainError {
  /** `detail` defaults to each field error as `path: message`, joined with `; ` (as the validation pipe reports them). */
  constructor(
    readonly errors: FieldError[],
    detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ') || 'invalid request',
  ) {
    super('validation_failed', detail, { errors });
  }
}

/** A validation failure of one field; `detail` for a sentence other than `path: message`. */
export function fieldError(path: string, message: string, detail?: string): ValidationFailedError {
  return new ValidationFailedError([{ path, message }], detail);
}
