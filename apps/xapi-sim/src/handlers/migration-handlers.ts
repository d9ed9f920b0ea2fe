// Intra-pool live migration: VM.pool_migrate, VM.migrate_send/assert_can_migrate with host.migrate_receive's
// token (ocaml/xapi/message_forwarding.ml, xapi_vm_migrate.ml, xapi_host.ml migrate_receive).
import type { XRecord } from '../datamodel/defaults.js';
import { assertCanBootHere } from '../domain/boot-checks.js';
import { withHostOperation } from '../domain/host-ops.js';
import { moveDomain } from '../domain/vm-migrate.js';
import { beginOperation, endOperation } from '../domain/vm-state.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { createSession } from '../rpc/sessions.js';
import { fail } from '../rpc/xapi-error.js';
import { NULL_REF } from '../util/ids.js';
import { scalar } from '../datamodel/defaults.js';

const vifMapRefused = 'VIF mapping is not allowed for intra-pool migration -all VIFs must be on the same network';

/** The live part: memory held on the destination (vm_migrate on it) while the domain moves, then the move. */
export async function migrateLive(ctx: CallContext, vmRef: string, dest: string): Promise<void> {
  const { sim } = ctx;
  const source = scalar(sim.store.mustGet('VM', vmRef).resident_on);
  await withHostOperation(sim, dest, 'vm_migrate', ctx.opRef, async () => {
    assertCanBootHere(sim, vmRef, dest);
    sim.store.update('VM', vmRef, { scheduled_to_be_resident_on: dest });
    let moved = false;
    try {
      await ctx.delay();
      const index = sim.hostRefs.indexOf(dest) + 1;
      if (sim.store.get('host_metrics', scalar(sim.store.get('host', dest)?.metrics))?.live !== true || sim.net?.isUp(index) === false) {
        fail('VM_MIGRATE_FAILED', vmRef, source, dest, 'the destination host is unreachable');
      }
      const domid = sim.nextDomid(dest);
      // Xenopsd plugs the destination's VIFs before the source domain goes, so the guest loses at most a few packets.
      await sim.dataplane?.move(vmRef, index, domid).catch((err: Error) => fail('VM_MIGRATE_FAILED', vmRef, source, dest, err.message));
      moveDomain(sim, vmRef, dest, domid);
      moved = true;
      await sim.dataplane?.sync(vmRef).catch((err: Error) => fail('INTERNAL_ERROR', `plugging VIFs: ${err.message}`));
    } finally {
      if (!moved && sim.store.get('VM', vmRef)) sim.store.update('VM', vmRef, { scheduled_to_be_resident_on: NULL_REF });
    }
  });
}

async function withVmOperation(ctx: CallContext, vmRef: string, op: string, fn: () => Promise<void>): Promise<''> {
  beginOperation(ctx.sim, vmRef, op, ctx.opRef);
  try {
    await fn();
    return '';
  } finally {
    endOperation(ctx.sim, vmRef, ctx.opRef);
  }
}

// remote_of_dest: the keys host.migrate_receive returned; a host of another pool cannot be reached from here.
function destinationHost(ctx: CallContext, dest: Record<string, string>): string {
  for (const key of ['master', 'xenops', 'session_id', 'host', 'SM']) if (dest[key] === undefined) fail('INTERNAL_ERROR', 'Not_found');
  const host = dest.host;
  if (!ctx.sim.store.get('host', host)) fail('CANNOT_CONTACT_HOST', new URL(dest.xenops, 'http://invalid').hostname);
  return host;
}

// assert_can_migrate, intra-pool: every disk mapped, no VIF map, and the destination can boot the VM.
function assertCanMigrate(ctx: CallContext, vmRef: string, dest: Record<string, string>, vdiMap: XRecord, vifMap: XRecord): string {
  const { sim } = ctx;
  const vm = sim.store.mustGet('VM', vmRef);
  const host = destinationHost(ctx, dest);
  for (const vbdRef of vm.VBDs as string[]) {
    const vbd = sim.store.get('VBD', vbdRef);
    if (!vbd || vbd.empty === true || vbd.type === 'CD') continue;
    if (vdiMap[scalar(vbd.VDI)] === undefined) fail('VDI_NOT_IN_MAP', scalar(vbd.VDI));
  }
  assertCanBootHere(sim, vmRef, host);
  if (Object.keys(vifMap).length > 0) fail('OPERATION_NOT_ALLOWED', vifMapRefused);
  for (const [vdi, sr] of Object.entries(vdiMap)) {
    if (sim.store.get('VDI', vdi) && sim.store.get('VDI', vdi)!.SR !== sr)
      fail('NOT_IMPLEMENTED', 'storage motion (a VDI mapped to another SR) in the simulator');
  }
  return host;
}

export const migrationHandlers: HandlerTable = {
  'VM.pool_migrate': {
    ownDelay: true,
    fn: (ctx) => {
      const vmRef = argStr(ctx, 0);
      const dest = argStr(ctx, 1);
      ctx.sim.store.mustGet('VM', vmRef);
      ctx.sim.store.mustGet('host', dest);
      return withVmOperation(ctx, vmRef, 'pool_migrate', () => migrateLive(ctx, vmRef, dest));
    },
  },
  'VM.assert_can_migrate': (ctx) => {
    assertCanMigrate(ctx, argStr(ctx, 0), ctx.args[1] as Record<string, string>, ctx.args[3] as XRecord, ctx.args[4] as XRecord);
    return '';
  },
  'VM.migrate_send': {
    ownDelay: true,
    fn: (ctx) => {
      const vmRef = argStr(ctx, 0);
      ctx.sim.store.mustGet('VM', vmRef);
      return withVmOperation(ctx, vmRef, 'migrate_send', async () => {
        const host = assertCanMigrate(ctx, vmRef, ctx.args[1] as Record<string, string>, ctx.args[3] as XRecord, ctx.args[4] as XRecord);
        if (ctx.sim.store.mustGet('VM', vmRef).power_state === 'Running') await migrateLive(ctx, vmRef, host);
        else await ctx.delay(); // a halted or suspended VM on shared storage has nothing to move
      });
    },
  },
  'host.migrate_receive': (ctx) => {
    const { sim } = ctx;
    const host = argStr(ctx, 0);
    const network = argStr(ctx, 1);
    sim.store.mustGet('host', host);
    const pif = ((sim.store.mustGet('network', network).PIFs as string[]) ?? [])
      .map((p) => [p, sim.store.get('PIF', p)] as const)
      .find(([, p]) => p?.host === host);
    if (!pif) fail('HOST_CANNOT_ATTACH_NETWORK', host, network);
    const ip = scalar(pif[1]!.IP ?? '');
    if (!ip) fail(pif[1]!.ip_configuration_mode === 'None' ? 'PIF_HAS_NO_NETWORK_CONFIGURATION' : 'INTERFACE_HAS_NO_IP', pif[0]);
    const caller = sim.store.mustGet('session', ctx.session);
    const session = createSession(sim, scalar(caller.auth_user_name), scalar(caller.originator));
    const master = scalar(sim.store.mustGet('host', sim.masterRef()).address);
    return {
      SM: `http://${ip}/services/SM?session_id=${session}`,
      host,
      xenops: `http://${ip}/services/xenops?session_id=${session}`,
      session_id: session,
      master: `http://${master}`,
    };
  },
};
