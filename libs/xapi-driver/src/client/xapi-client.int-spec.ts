import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { simControl, simState } from '@xenplane/testing';
import { simClient, startSim, type SimProcess } from '../testing/sim-control.js';
import type { XapiCallEvent } from './xapi-client.options.js';

describe('XapiClient against the simulator', () => {
  let sim: SimProcess;
  before(async () => {
    // the default loopback bind gives host k its own listener on 127.0.0.k
    sim = await startSim();
  });
  after(async () => {
    await sim?.stop();
  });

  it('logs in lazily and calls with the session prepended', async () => {
    const events: XapiCallEvent[] = [];
    const client = simClient(sim, { observer: (e) => events.push(e) });
    try {
      const pools = await client.call<string[]>('pool.get_all');
      assert.equal(pools.length, 1);
      assert.match(pools[0], /^OpaqueRef:/);
      const hosts = await client.call<Record<string, { address: string; enabled: boolean }>>('host.get_all_records');
      assert.equal(Object.keys(hosts).length, 2);
      assert.equal(client.protocol, 'json-rpc');
      assert.deepEqual(
        events.map((e) => [e.method, e.error]),
        [
          ['pool.get_all', undefined],
          ['host.get_all_records', undefined],
        ],
      );
    } finally {
      await client.close();
    }
  });

  it('fails fast with SESSION_AUTHENTICATION_FAILED on a bad password, not retried', async () => {
    const events: XapiCallEvent[] = [];
    const client = simClient(sim, { password: 'wrong', observer: (e) => events.push(e) });
    try {
      await assert.rejects(client.call('pool.get_all'), (e: unknown) => {
        assert.ok(e instanceof XapiError);
        assert.equal(e.code, 'SESSION_AUTHENTICATION_FAILED');
        assert.equal(e.retryable, false);
        return true;
      });
      assert.equal(events.length, 1);
    } finally {
      await client.close();
    }
  });

  it('re-logs in transparently after SESSION_INVALID', async () => {
    const client = simClient(sim);
    try {
      const before = await client.call<string[]>('VM.get_all');
      await simControl(sim, '/sim/sessions/invalidate');
      const after = await client.call<string[]>('VM.get_all');
      assert.deepEqual(after.sort(), before.sort());
    } finally {
      await client.close();
    }
  });

  it('checks every login with afterLogin before any call uses it; a refused session is never used and the next call logs in again', async () => {
    const seen: string[] = [];
    let refuse = true;
    const client = simClient(sim, {
      afterLogin: async (call) => {
        const [pool] = (await call('pool.get_all')) as string[];
        seen.push(String(await call('pool.get_uuid', pool)));
        if (refuse) throw new Error('not the pool expected');
      },
    });
    try {
      await assert.rejects(client.call('VM.get_all'), /not the pool expected/);
      await assert.rejects(client.call('VM.get_all'), /not the pool expected/);
      refuse = false;
      assert.ok((await client.call<string[]>('VM.get_all')).length > 0);
      await client.call('VM.get_all');
      // Two refused logins, then one accepted and kept; a SESSION_INVALID re-login is checked again.
      assert.equal(seen.length, 3);
      await simControl(sim, '/sim/sessions/invalidate');
      await client.call('VM.get_all');
      assert.equal(seen.length, 4);
      assert.equal(new Set(seen).size, 1);
    } finally {
      await client.close();
    }
  });

  it('surfaces an async task failure as XapiError with its code', async () => {
    const client = simClient(sim);
    try {
      const [tpl] = await client.call<string[]>('VM.get_by_name_label', 'Debian Bookworm 12');
      const vm = await client.callAsync<string>('VM.clone', tpl, 'fault-test');
      await client.callAsync('VM.provision', vm);
      await simControl(sim, '/sim/faults', { method: 'VM.start', code: 'NO_HOSTS_AVAILABLE', times: 1 });
      await assert.rejects(client.callAsync('VM.start', vm, false, false), (e: unknown) => {
        assert.ok(e instanceof XapiError, String(e));
        assert.equal(e.code, 'NO_HOSTS_AVAILABLE');
        return true;
      });
      assert.equal(await client.call('VM.get_power_state', vm), 'Halted');
      await client.callAsync('VM.destroy', vm);
    } finally {
      await simControl(sim, '/sim/faults/clear');
      await client.close();
    }
  });

  it('times out a slow call with a retryable transport error', async () => {
    const client = simClient(sim, { callTimeoutMs: 300 });
    try {
      await client.call('pool.get_all');
      await simControl(sim, '/sim/latency', { method: 'host.get_all', ms: 1500 });
      await assert.rejects(client.call('host.get_all'), (e: unknown) => {
        assert.ok(e instanceof XapiTransportError, String(e));
        assert.equal(e.kind, 'timeout');
        assert.equal(e.retryable, true);
        return true;
      });
    } finally {
      await simControl(sim, '/sim/latency', { method: 'host.get_all', ms: 0 });
      await client.close();
    }
  });

  it('gives the same normalised results over JSON-RPC and XML-RPC', async () => {
    const json = simClient(sim, { transport: 'json-rpc' });
    const xml = simClient(sim, { transport: 'xml-rpc' });
    try {
      for (const method of [
        'VM.get_all_records',
        'host.get_all_records',
        'host_metrics.get_all_records',
        'SR.get_all_records',
        'pool.get_all_records',
      ]) {
        const [a, b] = await Promise.all([json.call(method), xml.call(method)]);
        assert.deepEqual(b, a, method);
      }
      const [tpl] = await json.call<string[]>('VM.get_by_name_label', 'Debian Bookworm 12');
      assert.equal(typeof (await xml.call('VM.get_memory_static_max', tpl)), 'number');
      const cloned = await xml.callAsync<string>('VM.clone', tpl, 'xml-clone');
      assert.match(cloned, /^OpaqueRef:/);
      assert.equal(await json.call('VM.get_name_label', cloned), 'xml-clone');
      await json.callAsync('VM.destroy', cloned);
      assert.equal(xml.protocol, 'xml-rpc');
    } finally {
      await Promise.all([json.close(), xml.close()]);
    }
  });

  it('logs in with its originator and follows HOST_IS_SLAVE to the master', async () => {
    const originator = `redirect-${process.pid}`;
    const client = simClient(sim, { originator });
    try {
      // hosts are numbered from 1; host 2 answers on 127.0.0.2, the client starts on 127.0.0.1 (now a slave)
      await simControl(sim, '/sim/master', { host: 2 });
      const pools = await client.call<string[]>('pool.get_all');
      assert.equal(pools.length, 1, 'answered by the master: a slave answers every call with HOST_IS_SLAVE');
      assert.equal(new URL(client.masterUrl).hostname, '127.0.0.2');
      assert.equal((await simState(sim)).originators[originator], 1);
    } finally {
      await simControl(sim, '/sim/master', { host: 1 });
      await client.close();
    }
  });
});
