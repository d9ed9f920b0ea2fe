import { DomainError } from '@xenplane/core';
import type { QuotaShortfall } from './quota-math.js';

/** 409 quota_exceeded naming the first dimension that does not fit, with its limit, usage and the request. */
export class QuotaExceededError extends DomainError {
  constructor(s: QuotaShortfall) {
    super('quota_exceeded', `${s.resource}: ${s.used} used + ${s.requested} requested exceeds the limit of ${s.limit}`, { ...s });
  }
}
