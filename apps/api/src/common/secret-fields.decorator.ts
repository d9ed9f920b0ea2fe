import { applyDecorators, Header, SetMetadata } from '@nestjs/common';

export const SECRET_FIELDS_KEY = 'xenplane:secret-fields';

/**
 * Answer fields shown once (an API key's token): never cached, and never stored for an `Idempotency-Key`
 * replay, which answers them as null (with `Idempotent-Replayed: true`).
 */
export const ReturnsSecret = (...fields: string[]) => applyDecorators(SetMetadata(SECRET_FIELDS_KEY, fields), Header('Cache-Control', 'no-store'));

/** The body with its secret fields nulled: what may be kept and replayed. */
export function withoutSecrets(body: unknown, fields: readonly string[]): unknown {
  if (!fields.length || !body || typeof body !== 'object') return body;
  return { ...body, ...Object.fromEntries(fields.map((f) => [f, null])) };
}
