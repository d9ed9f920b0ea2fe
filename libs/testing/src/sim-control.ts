// Drives the simulator from tests: its /sim control API, and a minimal JSON-RPC client of its own so that checks on
// the pool do not trust our driver.
import type { SimProcess } from './processes.js';

/** A simulator: its process, or the URL of its first host. */
export type SimAddress = string | Pick<SimProcess, 'url'>;

const urlOf = (sim: SimAddress) => (typeof sim === 'string' ? sim : sim.url);

/** URL of simulated host `index` (1-based): the simulator listens on 127.0.0.k, same port, for host k. */
export function simHostUrl(sim: SimAddress, index: number): string {
  const u = new URL(urlOf(sim));
  u.hostname = `127.0.0.${index}`;
  return u.origin;
}

/** POSTs a JSON body to a control endpoint (on host `via`, default 1) and fails loudly on a non-2xx answer. */
export async function simControl(sim: SimAddress, path: string, body: unknown = {}, via = 1): Promise<unknown> {
  const res = await fetch(`${simHostUrl(sim, via)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * What GET /sim/state reports that tests look at; `calls` counts the RPC calls served, per method as called;
 * `callsPerVm` the calls that put a VM on a host (VM.pool_migrate, migrate_send, start, start_on; Async.* folded in),
 * per VM ref.
 */
export interface SimStateReport {
  master: number;
  inFlight: number;
  peakInFlight: number;
  calls: Record<string, number>;
  callsPerVm: Record<string, Record<string, number>>;
  originators: Record<string, number>;
  hosts: Array<{ host: number; address: string; up: boolean }>;
}

export async function simState(sim: SimAddress, via = 1): Promise<SimStateReport> {
  const res = await fetch(`${simHostUrl(sim, via)}/sim/state`);
  if (!res.ok) throw new Error(`GET /sim/state -> ${res.status}`);
  return (await res.json()) as SimStateReport;
}

/** Sets simulator latency for a method (ms; 0 removes it). */
export async function simLatency(sim: SimAddress, method: string, ms: number): Promise<void> {
  await simControl(sim, '/sim/latency', { method, ms });
}

/** Injects a simulator fault: calls to `method` (as called, e.g. `Async.VM.clone`) fail with `code`; once unless `times` or `rate`. */
export async function simFault(
  sim: SimAddress,
  fault: { method: string; code: string; params?: string[]; rate?: number; times?: number },
): Promise<void> {
  await simControl(sim, '/sim/faults', fault);
}

/** A logged-in JSON-RPC caller: `(method, ...params)` with the session prepended. */
export type XapiCall = (method: string, ...params: unknown[]) => Promise<any>;

export async function xapi(sim: SimAddress): Promise<XapiCall> {
  let id = 0;
  const rpc = async (method: string, params: unknown[]) => {
    const res = await fetch(`${urlOf(sim)}/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: ++id }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string; data: unknown[] } };
    if (body.error) throw new Error(`${body.error.message} ${JSON.stringify(body.error.data)}`);
    return body.result as any;
  };
  const session = await rpc('session.login_with_password', ['root', 'xenroot', '1.0', 'e2e']);
  return (method: string, ...params: unknown[]) => rpc(method, [session, ...params]);
}

/** What the pool holds, read with our own minimal client: VMs that carry our id, markers, and orphan disks. */
export async function poolCensus(sim: SimAddress) {
  const pool = await xapi(sim);
  const vms = Object.values<Record<string, any>>(await pool('VM.get_all_records'));
  const vdis = Object.values<Record<string, any>>(await pool('VDI.get_all_records'));
  const real = vms.filter((v) => !v.is_a_template && !v.is_control_domain && !v.is_a_snapshot);
  const byId = new Map<string, Record<string, any>[]>();
  for (const v of real) {
    const id = v.other_config?.['xenplane-vm-id'];
    if (id) byId.set(id, [...(byId.get(id) ?? []), v]);
  }
  return {
    byId,
    tagged: real.filter((v) => (v.tags ?? []).includes('xenplane')),
    markers: vms.filter((v) => String(v.name_label).startsWith('xenplane-')),
    looseVdis: vdis.filter((d) => (d.VBDs ?? []).length === 0),
  };
}
