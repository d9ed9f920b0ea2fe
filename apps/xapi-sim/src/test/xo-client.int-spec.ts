// A second independent client: Xen Orchestra's `xen-api` connector (ISC, test-only dependency), on both transports.
// It derives the classes it watches from system.listMethods (xapi's gen_server.ml list), keeps its objects from
// event.from (xapi_event.ml), runs Async calls through task events, and reads xapi's error codes and params.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'xen-api';
import { startSimulator, type Simulator } from '../index.js';

type XoClient = ReturnType<typeof createClient> & { _types: string[] };

async function until<T>(what: string, check: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const transport of ['json-rpc', 'xml-rpc'] as const) {
  describe(`Xen Orchestra's xen-api client over ${transport}`, () => {
    let sim: Simulator;
    let xo: XoClient;
    before(async () => {
      sim = await startSimulator();
      xo = createClient({ url: sim.url, auth: { user: 'root', password: 'xenroot' }, allowUnauthorized: true, transport, debounce: 20 }) as XoClient;
      await xo.connect();
      await xo.objectsFetched;
    });
    after(async () => {
      await xo?.disconnect();
      await sim?.close();
    });
    const byRef = (ref: string) => xo.getObjectByRef(ref, undefined) as Record<string, any> | undefined;

    it('connects, finds the classes from system.listMethods and mirrors the pool from event.from', () => {
      assert.equal(xo.pool.$ref, sim.state.poolRef);
      assert.ok(xo._types.includes('VM') && xo._types.includes('network') && xo._types.every((t: string) => !t.startsWith('Async')));
      const templates = Object.values(xo.objects.all).filter((o) => o.$type === 'VM' && o.is_a_template);
      assert.equal(templates.length, 4);
    });

    it("drives a VM through Async tasks, sees xapi's errors, and loses the VM's devices with it", async () => {
      const tpl = Object.values(xo.objects.all).find((o) => o.$type === 'VM' && o.name_label === 'Debian Bookworm 12')!.$ref;
      const err = await xo.call('VM.start', tpl, false, false).catch((e: any) => e);
      assert.deepEqual([err.code, err.params], ['VM_IS_TEMPLATE', [tpl, 'start']]);
      const vm: string = await xo.callAsync('VM.clone', tpl, `xo-${transport}`);
      await xo.call('VM.provision', vm);
      const net: string = await xo.call('network.create', { name_label: `xo-net-${transport}`, name_description: '', MTU: 1500, other_config: {} });
      const vifs: string[] = [];
      for (let d = 0; d < 3; d++)
        vifs.push(
          await xo.call('VIF.create', {
            device: String(d),
            network: net,
            VM: vm,
            MAC: '',
            MTU: 0,
            other_config: {},
            qos_algorithm_type: '',
            qos_algorithm_params: {},
          }),
        );
      await xo.callAsync('VM.start', vm, false, false);
      await until('running VM seen', () => (byRef(vm)?.power_state === 'Running' ? true : undefined));
      assert.ok(byRef(vm)!.allowed_operations.includes('checkpoint'));
      await xo.callAsync('VM.hard_shutdown', vm);
      await xo.callAsync('VM.destroy', vm);
      await until('VM and VIFs removed', () => (byRef(vm) === undefined && vifs.every((v) => byRef(v) === undefined) ? true : undefined));
      await xo.call('network.destroy', net);
      await until('network removed', () => (byRef(net) === undefined ? true : undefined));
    });
  });
}
