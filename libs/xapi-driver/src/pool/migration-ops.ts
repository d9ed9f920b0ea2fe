import type { XapiClient } from '../client/xapi-client.js';
import { callVersioned } from '../client/arity-probe.js';
import { XapiError } from '../errors/xapi-error.js';
import { NULL_REF, isNullRef } from './xapi-refs.js';

/** `VM.pool_migrate` options (xapi_vm_migrate.ml): `force` skips CPU checks, `network` picks the migration network. */
export interface MigrateOptions {
  force?: boolean;
  network?: string;
}

export interface EvacuateOptions {
  /** network ref to migrate over (xapi 1.297.0 and later) */
  network?: string;
  /** VMs migrated at once (xapi 23.27.0 and later); 0 or absent = the pool's evacuation-batch-size */
  batchSize?: number;
}

/** A VM that prevents an evacuation, with xapi's reason. */
export interface EvacuationBlocker {
  code: string;
  params: string[];
}

function migrateOptions(opts: MigrateOptions): Record<string, string> {
  return { ...(opts.force ? { force: 'true' } : {}), ...(opts.network ? { network: opts.network } : {}) };
}

/** Live-migrates a running VM to `hostRef` within the pool (Async, waits); already there = done. */
export async function migrateVm(client: XapiClient, vmRef: string, hostRef: string, opts: MigrateOptions = {}): Promise<void> {
  if ((await client.call<string>('VM.get_resident_on', vmRef)) === hostRef) return;
  await client.callAsync('VM.pool_migrate', vmRef, hostRef, migrateOptions(opts));
}

// The destination's management network, which host.migrate_receive needs to name the receiving address.
async function managementNetwork(client: XapiClient, hostRef: string): Promise<string> {
  const pifs = await client.call<Record<string, { host: string; management: boolean; network: string }>>('PIF.get_all_records');
  const pif = Object.values(pifs).find((p) => p.host === hostRef && p.management);
  if (!pif) throw new XapiError('HOST_HAS_NO_MANAGEMENT_IP', [hostRef], 'PIF.get_all_records');
  return pif.network;
}

/**
 * VM.assert_can_migrate to `hostRef` with a migrate_receive token and every disk kept on its SR (shared storage);
 * resolves when XAPI sees no obstacle, rejects with its reason otherwise. The token's session stays in here.
 */
export async function assertCanMigrate(client: XapiClient, vmRef: string, hostRef: string, opts: MigrateOptions = {}): Promise<void> {
  const network = opts.network ?? (await managementNetwork(client, hostRef));
  const dest = await client.call<Record<string, string>>('host.migrate_receive', hostRef, network, {});
  const vdiMap: Record<string, string> = {};
  for (const vbd of await client.call<string[]>('VM.get_VBDs', vmRef)) {
    const r = await client.call<{ empty: boolean; type: string; VDI: string }>('VBD.get_record', vbd);
    if (!r.empty && r.type !== 'CD' && !isNullRef(r.VDI)) vdiMap[r.VDI] = await client.call<string>('VDI.get_SR', r.VDI);
  }
  // vgpu_map came with a later release than the rest: older pools take the first six
  await callVersioned(
    client,
    'VM.assert_can_migrate',
    [vmRef, dest, true, vdiMap, {}, migrateOptions(opts), {}],
    (p) => client.call('VM.assert_can_migrate', ...p),
    6,
  );
}

/**
 * host.evacuate with the newest signature this pool takes (probed once per client, see callVersioned). A network
 * the pool cannot take is refused with NOT_SUPPORTED_BY_POOL rather than dropped; an unsupported batch size is a hint.
 */
export async function evacuateHost(client: XapiClient, hostRef: string, opts: EvacuateOptions = {}): Promise<void> {
  const required = opts.network ? 2 : 1;
  await callVersioned(
    client,
    'host.evacuate',
    [hostRef, opts.network ?? NULL_REF, opts.batchSize ?? 0],
    (p) => client.callAsync('host.evacuate', ...p),
    required,
  );
}

export async function vmsPreventingEvacuation(client: XapiClient, hostRef: string): Promise<Record<string, EvacuationBlocker>> {
  const raw = await client.call<Record<string, string[]>>('host.get_vms_which_prevent_evacuation', hostRef);
  return Object.fromEntries(Object.entries(raw).map(([vm, [code = 'UNKNOWN_ERROR', ...params]]) => [vm, { code, params }]));
}
