// Test helper: drives the simulator's /sim control API (never used by the driver itself).
import { startSimProcess, type SimProcess } from '@xenplane/testing';
import { XapiClient } from '../client/xapi-client.js';
import type { XapiClientOptions } from '../client/xapi-client.options.js';

export type { SimProcess };

/** Starts a simulator process for a test file. */
export function startSim(env: Record<string, string> = {}): Promise<SimProcess> {
  return startSimProcess({ SIM_HOSTS: '2', ...env });
}

/** URL of simulated host `index` (1-based): the simulator listens on 127.0.0.k, same port, for host k. */
export function simHostUrl(sim: SimProcess, index: number): string {
  const u = new URL(sim.url);
  u.hostname = `127.0.0.${index}`;
  return u.origin;
}

/** POSTs a JSON body to a control endpoint (on host `via`, default 1) and fails loudly on a non-2xx answer. */
export async function simControl(sim: SimProcess, path: string, body: unknown = {}, via = 1): Promise<unknown> {
  const res = await fetch(`${simHostUrl(sim, via)}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** What GET /sim/state reports that driver tests look at. */
export interface SimStateReport {
  master: number;
  inFlight: number;
  peakInFlight: number;
  calls: Record<string, number>;
  originators: Record<string, number>;
  hosts: Array<{ host: number; address: string; up: boolean }>;
}

export async function simState(sim: SimProcess, via = 1): Promise<SimStateReport> {
  const res = await fetch(`${simHostUrl(sim, via)}/sim/state`);
  if (!res.ok) throw new Error(`GET /sim/state -> ${res.status}`);
  return (await res.json()) as SimStateReport;
}

/** A client on the simulator with its default login. */
export function simClient(sim: SimProcess, opts: Partial<XapiClientOptions> = {}): XapiClient {
  return new XapiClient({ url: sim.url, username: 'root', password: 'xenroot', originator: 'xapi-driver-tests', ...opts });
}
