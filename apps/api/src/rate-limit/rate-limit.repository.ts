import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '@xenplane/core';

export interface RateDecision {
  allowed: boolean;
  /** Milliseconds until one more request would be allowed (0 when allowed). */
  retryAfterMs: number;
  remaining: number;
  /** When refused: the index of the bucket that refused (the one with the longest wait). */
  refusedBy?: number;
}

export interface Bucket {
  key: string;
  perMinute: number;
  /** How many requests may come at once. */
  burst: number;
}

// GCRA (a token bucket kept as one timestamp) over several buckets at once: a request is taken from all of them
// or from none, atomically in one script, on Redis's clock so replicas' clocks don't matter.
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local next_tat, ttl = {}, {}
local remaining, wait, refused = nil, 0, 0
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local backlog = tat + interval - now
  if backlog > burst * interval then
    local w = math.ceil(backlog - burst * interval)
    if w > wait then wait, refused = w, i end
  else
    next_tat[i], ttl[i] = tat + interval, math.ceil(backlog)
    local left = math.floor((burst * interval - backlog) / interval)
    if remaining == nil or left < remaining then remaining = left end
  end
end
if refused > 0 then return {0, wait, 0, refused - 1} end
for i = 1, #KEYS do redis.call('SET', KEYS[i], tostring(next_tat[i]), 'PX', ttl[i]) end
return {1, 0, remaining, -1}
`;

type GcraClient = Redis & { xenplaneGcra(keyCount: number, ...args: (string | number)[]): Promise<[number, number, number, number]> };

/** Request budgets (per key, per tenant, per client address) shared by every API replica through Redis. */
@Injectable()
export class RateLimitRepository {
  private readonly client: GcraClient;

  constructor(@Inject(REDIS) redis: Redis) {
    // defineCommand runs the script by its SHA and re-sends it only when Redis has not cached it.
    if (!('xenplaneGcra' in redis)) redis.defineCommand('xenplaneGcra', { lua: GCRA });
    this.client = redis as GcraClient;
  }

  /** Takes one request from `key`'s bucket: `perMinute` sustained, at most `burst` at once. */
  take(key: string, perMinute: number, burst: number): Promise<RateDecision> {
    return this.takeAll([{ key, perMinute, burst }]);
  }

  /** Takes one request from every bucket, or (when any is spent) from none. */
  async takeAll(buckets: Bucket[]): Promise<RateDecision> {
    const args = buckets.flatMap((b) => [60_000 / b.perMinute, b.burst]);
    const [allowed, retryAfterMs, remaining, refused] = await this.client.xenplaneGcra(buckets.length, ...buckets.map((b) => b.key), ...args);
    return allowed === 1 ? { allowed: true, retryAfterMs: 0, remaining } : { allowed: false, retryAfterMs, remaining: 0, refusedBy: refused };
  }
}
