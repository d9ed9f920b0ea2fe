import type { Response } from 'express';
import type { OperationEntity } from '@xenplane/core';

/** A 202 answer names its operation in `Location`, where the client polls it; returns what the caller shows. */
export function withOperationLocation<T>(res: Response, operation: OperationEntity, view: T): T {
  res.setHeader('Location', `/v1/operations/${operation.id}`);
  return view;
}
