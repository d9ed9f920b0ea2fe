import { cookieHex } from './cookie.js';
import type { Flow } from './types.js';

/** Renders a flow in `ovs-ofctl add-flow` syntax: `table=T,priority=P,cookie=0x…,MATCH actions=A`. */
export function flowText(flow: Flow): string {
  const head = `table=${flow.table},priority=${flow.priority},cookie=${cookieHex(flow.cookie)}`;
  return `${head}${flow.match ? `,${flow.match}` : ''} actions=${flow.actions}`;
}

/** Stable order: table, then priority high→low (as OVS evaluates), then match, actions, cookie. */
export function compareFlows(a: Flow, b: Flow): number {
  if (a.table !== b.table) return a.table - b.table;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.match !== b.match) return a.match < b.match ? -1 : 1;
  if (a.actions !== b.actions) return a.actions < b.actions ? -1 : 1;
  return a.cookie === b.cookie ? 0 : a.cookie < b.cookie ? -1 : 1;
}

/** Parses a match string into field → value; a bare protocol word (`ip`, `arp`) maps to `''`. */
export function parseMatch(match: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of match.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) fields.set(part, '');
    else fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return fields;
}

/** Lists the `output:N` ports of an action string, in order. */
export function outputPorts(actions: string): number[] {
  return [...actions.matchAll(/(?:^|,)output:(\d+)/g)].map((m) => Number(m[1]));
}
