// What a process holds, for the scale bench: its Postgres sessions (by application_name), its Redis clients
// (CLIENT LIST matched to the process by socket, as the clients are not all named) and its memory.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Sessions on the database by application_name (`xenplane-worker`, `xenplane-worker-locks`, ...). */
export async function pgSessions(db: pg.Client): Promise<Map<string, number>> {
  const { rows } = await db.query<{ app: string; n: string }>(
    `SELECT application_name AS app, count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.app, Number(r.n)]));
}

/** The sessions of one process: its pool (`name`) and its dedicated ones (`name-locks`, `name-listen`). */
export function sessionsOf(byApp: Map<string, number>, name: string): number {
  return [...byApp].filter(([app]) => app === name || app.startsWith(`${name}-`)).reduce((n, [, c]) => n + c, 0);
}

/** Redis clients per process id: CLIENT LIST's peer ports matched to the local ports `ss` shows each process holding. */
export async function redisClientsByPid(redis: Redis, redisPort: number): Promise<Map<number, number>> {
  const list = (await redis.call('CLIENT', 'LIST')) as string;
  const ports = new Set([...list.matchAll(/addr=[^ ]*:(\d+) /g)].map((m) => Number(m[1])));
  const out = new Map<number, number>();
  const ss = execFileSync('ss', ['-Htnp', 'state', 'established', `( dport = :${redisPort} )`], { encoding: 'utf8' });
  for (const line of ss.split('\n')) {
    const local = /\s\S+:(\d+)\s+\S+:\d+\s/.exec(line);
    const pid = /pid=(\d+)/.exec(line);
    if (!local || !pid || !ports.has(Number(local[1]))) continue;
    out.set(Number(pid[1]), (out.get(Number(pid[1])) ?? 0) + 1);
  }
  return out;
}

/** Resident and peak resident memory of a process, MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** Keeps the highest value seen per key across samples. */
export class Peaks {
  readonly max = new Map<string, number>();
  see(key: string, value: number): void {
    this.max.set(key, Math.max(value, this.max.get(key) ?? 0));
  }
  get(key: string): number {
    return this.max.get(key) ?? 0;
  }
}
