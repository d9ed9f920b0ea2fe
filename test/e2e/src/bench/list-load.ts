// GET /v1/vms under load (issue 20): the API against a bare node:http + pg server running the SQL the API ran,
// both driven by autocannon with the same connections, interleaved so machine load hits both alike.
import autocannon from 'autocannon';
import { startProcess, untilReady, type ManagedProcess } from '@xenplane/testing';
import { startPgTap, type Statement } from './pg-tap.js';

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  failed: number; // errors, timeouts and non-2xx answers
}

/**
 * The statements one request costs, from a query log: a second API process on the same database, its connections
 * through a recording relay; asked twice (the first warms its caches), the second answer's statements are kept,
 * less any the same idle time also shows (periodic passes).
 */
export async function requestStatements(env: Record<string, string>, path: string, headers: Record<string, string>): Promise<Statement[]> {
  const db = new URL(env.DATABASE_URL);
  const tap = await startPgTap({ host: db.hostname, port: Number(db.port || 5432) });
  db.host = `127.0.0.1:${tap.port}`;
  const api = startProcess('apps/api/dist/main.js', { ...env, DATABASE_URL: db.toString(), PORT: '0', HOST: '127.0.0.1' }, 'api-tap');
  try {
    const ready = await untilReady(api, (l) => l.msg === 'api listening');
    const url = `http://127.0.0.1:${String(ready.port)}${path}`;
    const window = async (ask: boolean) => {
      const from = tap.log.length;
      if (ask && (await fetch(url, { headers })).status !== 200) throw new Error(`${path} did not answer 200`);
      await new Promise((r) => setTimeout(r, 300));
      return tap.log.slice(from);
    };
    await window(true);
    const idle = new Set((await window(false)).map((s) => s.sql));
    return (await window(true)).filter((s) => !idle.has(s.sql));
  } finally {
    await api.stop();
    await tap.close();
  }
}

/** A bare node:http server running the statements in turn per request, answering the rows of the largest as JSON. */
export async function startBareList(databaseUrl: string, statements: Statement[]): Promise<ManagedProcess & { url: string }> {
  const p = startProcess('test/e2e/dist/bench/bare-list-server.js', {
    DATABASE_URL: databaseUrl,
    BARE_STATEMENTS: JSON.stringify(statements.map(({ sql, values }) => ({ sql, values }))),
  });
  const ready = await untilReady(p, (l) => l.msg === 'bare listening');
  return Object.assign(p, { url: `http://127.0.0.1:${String(ready.port)}` });
}

export async function load(url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<Load> {
  const r = await autocannon({ url, headers, connections, duration: seconds, pipelining: 1 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failed: r.errors + r.timeouts + r.non2xx };
}

/** Rounds of (API, bare) after a warm-up of each, averaged: the load of other jobs on the machine falls on both. */
export async function compare(
  api: { url: string; headers: Record<string, string> },
  bare: { url: string },
  connections: number,
  seconds: number,
  rounds = 2,
): Promise<{ api: Load; bare: Load }> {
  await load(api.url, api.headers, connections, 2);
  await load(bare.url, {}, connections, 2);
  const a: Load[] = [];
  const b: Load[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await load(api.url, api.headers, connections, seconds));
    b.push(await load(bare.url, {}, connections, seconds));
  }
  const mean = (xs: Load[]): Load => ({
    rps: xs.reduce((n, x) => n + x.rps, 0) / xs.length,
    p50: xs.reduce((n, x) => n + x.p50, 0) / xs.length,
    p99: xs.reduce((n, x) => n + x.p99, 0) / xs.length,
    failed: xs.reduce((n, x) => n + x.failed, 0),
  });
  return { api: mean(a), bare: mean(b) };
}

/** The bench lines of one comparison: req/s as the ratio with its goal, p50/p99 against the bare ones. */
export function emitComparison(bench: string, label: string, r: { api: Load; bare: Load }, emit: (line: Record<string, unknown>) => void): void {
  if (r.api.failed || r.bare.failed) throw new Error(`${label}: ${r.api.failed} API and ${r.bare.failed} bare requests failed`);
  emit({
    bench,
    metric: `${label} req/s vs bare node:http + pg running the same query`,
    value: r.api.rps,
    unit: '/s',
    baseline: r.bare.rps,
    ratio: r.api.rps / r.bare.rps,
    goal: '>=0.5', // issue 20
  });
  emit({ bench, metric: `${label} p50 vs bare`, value: r.api.p50, unit: 'ms', baseline: r.bare.p50, ratio: r.api.p50 / r.bare.p50 });
  emit({ bench, metric: `${label} p99 vs bare`, value: r.api.p99, unit: 'ms', baseline: r.bare.p99, ratio: r.api.p99 / r.bare.p99 });
}
