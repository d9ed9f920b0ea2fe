// Test helper: a simulator for the driver's tests and a client on it (the /sim control API is @xenplane/testing's).
import { startSimProcess, type SimProcess } from '@xenplane/testing';
import { XapiClient } from '../client/xapi-client.js';
import type { XapiClientOptions } from '../client/xapi-client.options.js';

export type { SimProcess };

/** Starts a simulator process for a test file. */
export function startSim(env: Record<string, string> = {}): Promise<SimProcess> {
  return startSimProcess({ SIM_HOSTS: '2', ...env });
}

/** A client on the simulator with its default login. */
export function simClient(sim: SimProcess, opts: Partial<XapiClientOptions> = {}): XapiClient {
  return new XapiClient({ url: sim.url, username: 'root', password: 'xenroot', originator: 'xapi-driver-tests', ...opts });
}
