import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { urlForHost } from '../client/host-url.js';
import { pickHostByFreeMemory, toVmRecord, type HostCapacity } from './pool-records.js';
import { isNullRef } from './xapi-refs.js';

const host = (name: string, memoryFree: number, over: Partial<HostCapacity> = {}): HostCapacity => ({
  ref: `OpaqueRef:${name}`,
  uuid: name,
  name,
  address: '10.0.0.1',
  enabled: true,
  live: true,
  memoryTotal: 64e9,
  memoryFree,
  cpuCount: 8,
  otherConfig: {},
  ...over,
});

describe('pool records', () => {
  it('places a VM on the enabled live host with the most free memory that fits', () => {
    const hosts = [host('a', 4e9), host('b', 16e9), host('c', 32e9, { enabled: false }), host('d', 30e9, { live: false })];
    assert.equal(pickHostByFreeMemory(hosts, 2e9)?.name, 'b');
    assert.equal(pickHostByFreeMemory(hosts, 20e9), null);
    assert.equal(pickHostByFreeMemory([], 1), null);
  });

  it('maps VM records with null refs as null', () => {
    for (const r of ['OpaqueRef:NULL', '', 'Ref:123']) {
      assert.equal(toVmRecord({ resident_on: r, power_state: 'Halted' }).resident_on, null);
      assert.equal(isNullRef(r), true);
    }
    const vm = toVmRecord({ resident_on: 'OpaqueRef:h', memory_static_max: 1024, VBDs: ['OpaqueRef:b'], other_config: { k: 'v' } });
    assert.deepEqual(
      [vm.resident_on, vm.memory_static_max, vm.VBDs, vm.other_config, vm.tags],
      ['OpaqueRef:h', 1024, ['OpaqueRef:b'], { k: 'v' }, []],
    );
  });

  it('builds URLs for other pool hosts, keeping scheme and port', () => {
    const base = new URL('https://pool-master:8443/');
    assert.equal(urlForHost(base, '10.0.0.11').href, 'https://10.0.0.11:8443/');
    assert.equal(urlForHost(base, 'fd00::11').href, 'https://[fd00::11]:8443/');
    assert.equal(urlForHost(base, '10.0.0.12:9000').href, 'https://10.0.0.12:9000/');
    assert.equal(urlForHost(new URL('https://m/'), '10.0.0.11').href, 'https://10.0.0.11/');
  });
});
