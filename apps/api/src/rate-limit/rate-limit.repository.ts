import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '@xenplane/core';

export interface RateDecision {
  allowed: boolean;
  /** Milliseconds until one more request would be allowed (0 when allowed). */
  retryAfterMs: number;
  remaining: number;
}

// GCRA (a token bucket kept as one timestamp): atomic in one script, and Redis's clock so replicas' clocks don't matter.
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local backlog = tat + interval - now
if backlog > burst * interval then
  return {0, math.ceil(backlog - burst * interval), 0}
end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(backlog))
return {1, 0, math.floor((burst * interval - backlog) / interval)}
`;

type GcraClient = Redis & { xenplaneGcra(key: string, intervalMs: number, burst: number): Promise<[number, number, number]> };

/** Per-key request budgets shared by every API replica through Redis. */
@Injectable()
export class RateLimitRepository {
  private readonly client: GcraClient;

  constructor(@Inject(REDIS) redis: Redis) {
    // defineCommand runs the script by its SHA and re-sends it only when Redis has not cached it.
    if (!('xenplaneGcra' in redis)) redis.defineCommand('xenplaneGcra', { numberOfKeys: 1, lua: GCRA });
    this.client = redis as GcraClient;
  }

  /** Takes one request from `key`'s bucket: `perMinute` sustained, at most `burst` at once. */
  async take(key: string, perMinute: number, burst: number): Promise<RateDecision> {
    const [allowed, retryAfterMs, remaining] = await this.client.xenplaneGcra(key, 60_000 / perMinute, burst);
    return { allowed: allowed === 1, retryAfterMs, remaining };
  }
}
