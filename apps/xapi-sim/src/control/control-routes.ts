// The /sim/ control API (JSON): state, latency, faults, sessions, master switch, hosts down/up, transports, bulk VMs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { populateVms } from '../domain/populate.js';
import { resetPool } from '../persist/restore-pool.js';
import type { Dispatcher } from '../rpc/dispatcher.js';
import { invalidateAllSessions } from '../rpc/sessions.js';
import type { SimState } from '../sim/sim-state.js';
import { guestRoute } from './guest-routes.js';
import { resyncReturningHost } from '../domain/host-failure.js';
import { scalar } from '../datamodel/defaults.js';

const latencyBody = z.object({ method: z.string().min(1), ms: z.number().int().min(0).max(600_000) });
const faultBody = z.object({
  method: z.string().min(1),
  code: z.string().min(1),
  params: z.array(z.string()).optional(),
  times: z.number().int().min(1).optional(),
  rate: z.number().gt(0).max(1).optional(),
});
const masterBody = z.object({ host: z.number().int().min(1) });
const transportBody = z.object({ jsonrpc: z.boolean() });
const populateBody = z.object({ vms: z.number().int().min(1).max(100_000) });
const hostRoute = /^\/sim\/hosts\/(\d+)\/(down|up)$/;
const vswitchdRoute = /^\/sim\/ovs\/hosts\/(\d+)\/restart-vswitchd$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function parse<T>(schema: z.ZodType<T>, raw: string): { ok: true; value: T } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = raw === '' ? {} : JSON.parse(raw);
  } catch {
    return { ok: false, error: 'body is not valid JSON' };
  }
  const r = schema.safeParse(json);
  return r.success
    ? { ok: true, value: r.data }
    : { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
}

function state(sim: SimState): unknown {
  const originators: Record<string, number> = {};
  for (const [, s] of sim.store.all('session')) originators[scalar(s.originator)] = (originators[scalar(s.originator)] ?? 0) + 1;
  return {
    counts: Object.fromEntries(Object.entries(sim.counts()).filter(([, n]) => n > 0)),
    generation: sim.store.generation,
    master: sim.hostRefs.indexOf(sim.masterRef()) + 1,
    faults: sim.control.listFaults(),
    jsonrpc: sim.control.jsonRpc,
    hosts: sim.hostRefs.map((ref, i) => ({ host: i + 1, address: sim.store.get('host', ref)?.address, up: sim.net?.isUp(i + 1) ?? true })),
    originators,
    ...sim.stats.snapshot(),
    persistence: sim.persistence ? { dir: sim.persistence.dir, generation: sim.persistence.persistedGeneration } : null,
  };
}

// Host k dies (its listener closes, its metrics stop being live; the master still shows its guests running, as xapi
// does without HA, until VM.power_state_reset) or comes back (booted again: its guests still shown there are Halted).
async function setHostUp(sim: SimState, res: ServerResponse, index: number, up: boolean): Promise<void> {
  const hostRef = sim.hostRefs[index - 1];
  if (!hostRef || !sim.net) return send(res, 404, { error: `no host ${index}; the pool has ${sim.hostRefs.length}` });
  const wasDown = !sim.net.isUp(index);
  if (up) await sim.net.up(index);
  else sim.net.down(index);
  const metrics = scalar(sim.store.mustGet('host', hostRef).metrics);
  if (sim.store.get('host_metrics', metrics)) sim.store.update('host_metrics', metrics, { live: up });
  const halted = up && wasDown ? resyncReturningHost(sim, hostRef) : 0;
  return send(res, 200, { ok: true, host: index, up, perHost: sim.net.perHost, ...(up ? { halted } : {}) });
}

// SIM_NETWORK=ovs: describe the fabric, or kill and restart one host's vswitchd (its flows are lost, its ports kept).
async function ovsRoute(sim: SimState, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const fabric = sim.dataplane;
  if (!fabric) return send(res, 404, { error: 'the simulator runs without OVS (start it with SIM_NETWORK=ovs)' });
  if (req.method === 'GET' && path === '/sim/ovs') return send(res, 200, fabric.describe());
  const m = req.method === 'POST' ? vswitchdRoute.exec(path) : null;
  if (!m) return send(res, 404, { error: `no control route ${req.method} ${path}` });
  if (!(await fabric.restartVswitchd(Number(m[1])))) return send(res, 404, { error: `no host ${m[1]}; the pool has ${fabric.hosts.length}` });
  return send(res, 200, { ok: true, host: Number(m[1]) });
}

export async function handleControl(
  sim: SimState,
  dispatcher: Dispatcher,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: string,
): Promise<void> {
  const route = `${req.method} ${path}`;
  const host = req.method === 'POST' ? hostRoute.exec(path) : null;
  if (host) return setHostUp(sim, res, Number(host[1]), host[2] === 'up');
  if (path.startsWith('/sim/ovs')) return ovsRoute(sim, req, res, path);
  if (path.startsWith('/sim/vms/')) return guestRoute(sim, req, res, path, body);
  const withBody = <T>(schema: z.ZodType<T>, then: (v: T) => unknown) => {
    const r = parse(schema, body);
    if (!r.ok) return send(res, 400, { error: r.error });
    return send(res, 200, then(r.value) ?? { ok: true });
  };
  switch (route) {
    case 'GET /sim/state':
      return send(res, 200, state(sim));
    case 'GET /sim/methods':
      return send(res, 200, { methods: dispatcher.servedMethods() });
    case 'POST /sim/stats/reset-peak':
      return send(res, 200, (sim.stats.resetPeak(), { ok: true }));
    case 'POST /sim/transport':
      return withBody(transportBody, (v) => ((sim.control.jsonRpc = v.jsonrpc), { ok: true, jsonrpc: v.jsonrpc }));
    case 'POST /sim/reset': {
      await resetPool(sim);
      return send(res, 200, { ok: true, pool: sim.pool().uuid, persisted: sim.persistence !== undefined });
    }
    case 'POST /sim/populate':
      return withBody(populateBody, (v) => ({ ok: true, ...populateVms(sim, v.vms) }));
    case 'POST /sim/latency':
      return withBody(latencyBody, (v) => sim.control.setLatency(v.method, v.ms));
    case 'POST /sim/faults':
      return withBody(faultBody, (v) => sim.control.addFault(v));
    case 'POST /sim/faults/clear':
      return send(res, 200, (sim.control.clearFaults(), { ok: true }));
    case 'POST /sim/sessions/invalidate':
      return send(res, 200, { ok: true, invalidated: invalidateAllSessions(sim) });
    case 'POST /sim/master': {
      const r = parse(masterBody, body);
      if (!r.ok) return send(res, 400, { error: r.error });
      const hostRef = sim.hostRefs[r.value.host - 1];
      if (!hostRef) return send(res, 400, { error: `host: no host ${r.value.host}; the pool has ${sim.hostRefs.length}` });
      // Calls reaching any other host's address (host 1 is 127.0.0.1) now answer HOST_IS_SLAVE [this host's address].
      sim.store.update('pool', sim.poolRef, { master: hostRef });
      return send(res, 200, { ok: true, master: r.value.host, address: sim.store.mustGet('host', hostRef).address });
    }
    default:
      return send(res, 404, { error: `no control route ${route}` });
  }
}
