// Test helper: drives the simulator's /sim control API (never used by the driver itself).
import { startSimProcess, type SimProcess } from '@xenplane/testing';
import { XapiClient } from '../client/xapi-client.js';
import type { XapiClientOptions } from '../client/xapi-client.options.js';

export type { SimProcess };

/** Starts a simulator process for a test file. */
export function startSim(env: Record<string, string> = {}): Promise<SimProcess> {
  return startSimProcess({ SIM_HOSTS: '2', ...env });
}

/** POSTs a JSON body to a control endpoint and fails loudly on a non-2xx answer. */
export async function simControl(sim: SimProcess, path: string, body: unknown = {}): Promise<unknown> {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} -> ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A client on the simulator with its default login. */
export function simClient(sim: SimProcess, opts: Partial<XapiClientOptions> = {}): XapiClient {
  return new XapiClient({ url: sim.url, username: 'root', password: 'xenroot', originator: 'xapi-driver-tests', ...opts });
}
