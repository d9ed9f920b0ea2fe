// Conformance: calls that leave out trailing parameters with defaults, as current xapi accepts them.
// Authority: xapi ocaml/idl/ocaml_backend/gen_server.ml (operation: `args :: default_args` pattern, List.nth with the
// param_default, parameter_count_mismatch_failure counting params without defaults) and the param_default values of
// ocaml/idl/datamodel*.ml, shipped as data/xapi-param-defaults.json (scripts/extract-param-defaults.mjs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simOver } from '../testing/conformance-fixture.js';
import { newVm, transports, xapiError } from '../testing/xapi-test-client.js';

for (const [wire, connect] of transports) {
  describe(`conformance (${wire}): parameters with defaults (gen_server.ml)`, () => {
    const c = simOver(connect);
    const code = async (method: string, ...args: unknown[]) => (await xapiError(() => c.t.call(method, ...args)).catch(() => undefined))?.code;

    it('accepts calls short of defaulted trailing params, and counts only the required ones when short of those', async () => {
      const vm = await newVm(c.t, c.s, 'defaults');
      const [vbd] = await c.t.call('VM.get_VBDs', c.s, vm);
      const vdi = await c.t.call('VBD.get_VDI', c.s, vbd);
      const host = c.sim.state.hostRefs[1];
      // past the count check: whatever they answer, it is not MESSAGE_PARAMETER_COUNT_MISMATCH
      for (const [method, ...args] of [
        ['VM.snapshot', vm, 'snap'],
        ['VDI.clone', vdi],
        ['VDI.snapshot', vdi],
        ['VDI.copy', vdi],
        ['host.evacuate', host],
        ['tunnel.create', 'OpaqueRef:NULL', 'OpaqueRef:NULL'],
        ['Bond.create', 'OpaqueRef:NULL', [], ''],
        ['VM.assert_can_migrate', vm, {}, true, {}, {}, {}],
      ] as const) {
        assert.notEqual(await code(method, c.s, ...args), 'MESSAGE_PARAMETER_COUNT_MISMATCH', method);
      }
      const short = await xapiError(() => c.t.call('VM.snapshot', c.s, vm));
      assert.deepEqual([short.code, ...short.params], ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'VM.snapshot', '2', '1']);
      const none = await xapiError(() => c.t.call('VDI.copy', c.s));
      assert.deepEqual([none.code, ...none.params], ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'VDI.copy', '1', '0']);
      const exact = await xapiError(() => c.t.call('VM.clone', c.s, vm, 'a', 'extra'));
      assert.deepEqual(
        [exact.code, ...exact.params],
        ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'VM.clone', '2', '3'],
        'a message without defaults takes exactly its params',
      );
    });

    it('fills the default and ignores extra trailing arguments of a message with defaults', async () => {
      const host = c.sim.state.hostRefs[1];
      await c.t.call('host.disable', c.s, host, true); // host.disable(host, auto_enable = true): xenapi.json knows only `host`
      assert.equal(await c.t.call('host.get_enabled', c.s, host), false);
      await c.t.call('host.enable', c.s, host);
      const short = await c.t.call('session.login_with_password', 'root', 'xenroot');
      assert.equal(await c.t.call('session.get_originator', short, short), '', 'originator defaulted to ""');
    });
  });
}
