// POST /sim/vms/{uuid}/guest-tools: a guest's tools start or stop (no tools: no guest metrics, so xapi refuses
// hot-plug on HVM), what they claim about hot-plug, and whether the guest refuses a VBD detach.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { guestTools, reportGuestAgent, setGuestTools } from '../domain/guest-agent.js';
import { refreshAllowedOperations } from '../domain/vm-state.js';
import type { SimState } from '../sim/sim-state.js';

const tristate = z.enum(['yes', 'no', 'unspecified']);
const toolsBody = z
  .object({ present: z.boolean().optional(), hotplugVbd: tristate.optional(), hotplugVif: tristate.optional(), refuseDetach: z.boolean().optional() })
  .strict();
const route = /^\/sim\/vms\/([0-9a-f-]{36})\/guest-tools$/i;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function guestRoute(sim: SimState, req: IncomingMessage, res: ServerResponse, path: string, body: string): void {
  const m = req.method === 'POST' ? route.exec(path) : null;
  if (!m) return send(res, 404, { error: `no control route ${req.method} ${path}` });
  const vmRef = sim.store.refByUuid('VM', m[1]);
  if (!vmRef) return send(res, 404, { error: `no VM with uuid ${m[1]}` });
  let parsed: z.infer<typeof toolsBody>;
  try {
    const r = toolsBody.safeParse(body === '' ? {} : JSON.parse(body));
    if (!r.success) return send(res, 400, { error: r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    parsed = r.data;
  } catch {
    return send(res, 400, { error: 'body is not valid JSON' });
  }
  const tools = { ...guestTools(sim, vmRef), ...parsed };
  setGuestTools(sim, vmRef, tools);
  const vm = sim.store.mustGet('VM', vmRef);
  if (vm.power_state === 'Running' || vm.power_state === 'Paused') reportGuestAgent(sim, vmRef);
  refreshAllowedOperations(sim, vmRef); // and its devices'
  return send(res, 200, { ok: true, vm: vmRef, tools, guest_metrics: sim.store.mustGet('VM', vmRef).guest_metrics });
}
