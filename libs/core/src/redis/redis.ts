import { Redis, type RedisOptions } from 'ioredis';

export const REDIS = Symbol('REDIS');

/** An ioredis client that keeps retrying in the background and fails calls fast while Redis is down. */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...opts,
  });
  // Outages surface where the client is used (readiness, rate limits); unhandled 'error' events would only spam stderr.
  redis.on('error', () => undefined);
  return redis;
}

/** BullMQ needs blocking-safe connections: no per-request retry limit. */
export function bullConnectionOptions(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
}
