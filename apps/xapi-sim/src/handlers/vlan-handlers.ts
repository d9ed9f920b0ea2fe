// VLANs as xapi makes them: pool.create_VLAN_from_PIF (xapi_pool.ml) runs VLAN.create (xapi_vlan.ml) for the PIF
// of every host on the given PIF's network, undoing what it made if one host refuses.
import { scalar } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { argStr, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';

// xapi_vlan.ml: the untagged PIF of a VLAN carries this dummy MAC.
const VLAN_MAC = 'fe:ff:ff:ff:ff:ff';

/** VLAN.create's checks, in xapi_vlan.ml's order; answers the VLAN ref. */
function createVlan(sim: SimState, taggedPif: string, tag: number, network: string): string {
  const { store } = sim;
  const pif = store.mustGet('PIF', taggedPif);
  const net = store.mustGet('network', network);
  const host = scalar(pif.host);
  // xapi_pif.ml assert_no_other_local_pifs: a network has at most one PIF per host.
  const local = (net.PIFs as string[]).find((r) => scalar(store.get('PIF', r)?.host ?? '') === host);
  if (local) fail('NETWORK_ALREADY_CONNECTED', host, local);
  if (pif.managed !== true) fail('PIF_UNMANAGED', taggedPif);
  if (scalar(pif.bond_slave_of ?? 'OpaqueRef:NULL') !== 'OpaqueRef:NULL') fail('CANNOT_ADD_VLAN_TO_BOND_SLAVE', taggedPif);
  if (Number(pif.VLAN) >= 0) fail('PIF_IS_VLAN', taggedPif); // CA-25160: no VLAN on a VLAN
  if (tag < 0 || tag > 4094) fail('VLAN_TAG_INVALID', String(tag)); // 4095 is reserved by 802.1Q
  const exists = store.all('VLAN').some(([, v]) => scalar(v.tagged_PIF) === taggedPif && Number(v.tag) === tag);
  if (exists) fail('PIF_VLAN_EXISTS', scalar(pif.device));
  const untagged = store.create('PIF', {
    device: scalar(pif.device),
    network,
    host,
    MAC: VLAN_MAC,
    MTU: Number(pif.MTU),
    VLAN: tag,
    physical: false,
    currently_attached: true,
    ip_configuration_mode: 'None',
    management: false,
    managed: true,
  });
  const vlan = store.create('VLAN', { tagged_PIF: taggedPif, untagged_PIF: untagged, tag, other_config: {} });
  store.update('PIF', untagged, { VLAN_master_of: vlan });
  return vlan;
}

function destroyVlan(sim: SimState, vlan: string): void {
  const { store } = sim;
  const v = store.mustGet('VLAN', vlan);
  const untagged = scalar(v.untagged_PIF);
  if (store.get('PIF', untagged)) store.destroy('PIF', untagged);
  store.destroy('VLAN', vlan);
}

export const vlanHandlers: HandlerTable = {
  'VLAN.create': (ctx) => createVlan(ctx.sim, argStr(ctx, 0), Number(ctx.args[1]), argStr(ctx, 2)),
  'VLAN.destroy': (ctx) => (destroyVlan(ctx.sim, argStr(ctx, 0)), ''),
  'pool.create_VLAN_from_PIF': (ctx) => {
    const { store } = ctx.sim;
    const [pif, network, tag] = [argStr(ctx, 0), argStr(ctx, 1), Number(ctx.args[2])];
    const source = scalar(store.mustGet('PIF', pif).network);
    const made: string[] = [];
    try {
      for (const p of store.mustGet('network', source).PIFs as string[]) made.push(createVlan(ctx.sim, p, tag, network));
    } catch (err) {
      for (const v of made) destroyVlan(ctx.sim, v); // xapi_pool.ml: any error destroys the VLANs made so far
      throw err;
    }
    return made.map((v) => scalar(store.mustGet('VLAN', v).untagged_PIF));
  },
};
