import { type PipeTransform, Injectable } from '@nestjs/common';
import { fieldError } from '@xenplane/core';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids must be UUIDs; anything else is a 400 naming the parameter, never a database error. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, meta: { data?: string }): string {
    if (!UUID_RE.test(value)) {
      const path = meta.data ?? 'id';
      throw fieldError(path, 'must be a UUID', `${path} must be a UUID`);
    }
    return value.toLowerCase();
  }
}
