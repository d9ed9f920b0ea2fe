import type { VmNicPlug, VmNicRepository } from '@xenplane/core';
import { isXapiError, type VmRecord, type XapiPool } from '@xenplane/xapi-driver';
import { SagaError } from '../pipeline/job-failure.js';

/**
 * One VIF per NIC row (kept if the VM has one at that device), and its address where the guest reads it. With `reread`,
 * each VIF's MAC is checked against its row and the VIF uuids per device answered (a revert re-creates VIFs: new uuids).
 */
export async function plugNics(
  xapi: XapiPool,
  nics: VmNicRepository,
  vm: { tenantId: string; id: string; ref: string },
  opts: { reread?: boolean; plugs?: VmNicPlug[]; known?: Pick<VmRecord, 'VIFs' | 'xenstore_data'> } = {},
): Promise<Record<number, string>> {
  const vifs: Record<number, string> = {};
  // `known`: the VM's VIFs and xenstore_data as just read (a fresh clone's), so neither is read again
  const xenstore = opts.known ? { ...opts.known.xenstore_data } : null;
  for (const nic of opts.plugs ?? (await nics.listPlugs(vm.tenantId, vm.id))) {
    if (!nic.networkXapiUuid) throw new SagaError('network_unavailable', `network ${nic.networkId} has no XAPI network`);
    const vif = await xapi
      .ensureVif(vm.ref, { device: nic.device, networkUuid: nic.networkXapiUuid, mac: nic.mac, mtu: 1500 }, opts.known?.VIFs)
      .catch((err: unknown) => {
        if (!isXapiError(err, 'UUID_INVALID')) throw err;
        throw new SagaError('network_unavailable', `network ${nic.networkId} is gone from the pool (XAPI network ${nic.networkXapiUuid})`);
      });
    if (opts.reread) {
      const r = await xapi.client.call<{ MAC: string; uuid: string }>('VIF.get_record', vif);
      if (r.MAC.toLowerCase() !== nic.mac.toLowerCase())
        throw new SagaError('nic_mismatch', `VIF ${nic.device} has MAC ${r.MAC}, its NIC ${nic.mac}`);
      vifs[nic.device] = r.uuid;
    }
    const [key, value] = [`vm-data/ip${nic.device}`, `${nic.ip}/${nic.prefix}`];
    if (xenstore && xenstore[key] === undefined) await xapi.client.call('VM.add_to_xenstore_data', vm.ref, key, value);
    else if (xenstore?.[key] !== value) await xapi.setXenstoreKey(vm.ref, key, value);
  }
  return vifs;
}

/**
 * Destroys the VM's VIFs whose MAC no NIC row has, and their address key: after a revert, the snapshot's VIF of a NIC
 * removed since (its address given back, maybe to another VM) must not come back. The VM is halted (revert stops it).
 */
export async function dropUnknownVifs(xapi: XapiPool, nics: VmNicRepository, vm: { tenantId: string; id: string; ref: string }): Promise<number> {
  const macs = new Set((await nics.listPlugs(vm.tenantId, vm.id)).map((n) => n.mac.toLowerCase()));
  let dropped = 0;
  for (const vif of await xapi.client.call<string[]>('VM.get_VIFs', vm.ref)) {
    const r = await xapi.client.call<{ MAC: string; device: string }>('VIF.get_record', vif);
    if (macs.has(r.MAC.toLowerCase())) continue;
    await xapi.client.call('VIF.destroy', vif);
    await xapi.client.call('VM.remove_from_xenstore_data', vm.ref, `vm-data/ip${r.device}`);
    dropped++;
  }
  return dropped;
}
