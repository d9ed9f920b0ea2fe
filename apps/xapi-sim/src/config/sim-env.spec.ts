import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDataDir, parseSimEnv, SimConfigError } from './sim-env.js';

describe('sim-env', () => {
  it('applies the documented defaults', () => {
    assert.deepEqual(parseSimEnv({}), {
      port: 8090,
      host: '127.0.0.1',
      username: 'root',
      password: 'xenroot',
      hosts: 2,
      network: 'none',
      seed: 1,
      sessionTtlSeconds: 86400,
      jsonRpc: true,
      prepopulateVms: 0,
      srGiB: 2048,
      dataDir: defaultDataDir,
      reset: false,
      apiVersion: '2.21',
      logLevel: 'info',
    });
    assert.ok(defaultDataDir.endsWith('/data/xapi-sim') && !defaultDataDir.includes('/apps/'), "under the repository's data folder");
  });

  it('reads every variable', () => {
    const c = parseSimEnv({
      SIM_PORT: '0',
      SIM_HOST: '0.0.0.0',
      SIM_USERNAME: 'admin',
      SIM_PASSWORD: 'pw',
      SIM_HOSTS: '64',
      SIM_SEED: '42',
      SIM_SESSION_TTL_SECONDS: '5',
      SIM_JSONRPC: 'false',
      SIM_PREPOPULATE_VMS: '10000',
      SIM_SR_GIB: '8192',
      SIM_DATA_DIR: '/var/lib/sim',
      SIM_RESET: '1',
      LOG_LEVEL: 'debug',
    });
    assert.deepEqual(
      [
        c.port,
        c.host,
        c.username,
        c.password,
        c.hosts,
        c.seed,
        c.sessionTtlSeconds,
        c.jsonRpc,
        c.prepopulateVms,
        c.srGiB,
        c.dataDir,
        c.reset,
        c.logLevel,
      ],
      [0, '0.0.0.0', 'admin', 'pw', 64, 42, 5, false, 10000, 8192, '/var/lib/sim', true, 'debug'],
    );
  });

  for (const [name, value] of [
    ['SIM_HOSTS', '65'],
    ['SIM_HOSTS', '0'],
    ['SIM_PORT', 'abc'],
    ['SIM_PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['SIM_SESSION_TTL_SECONDS', '1.5'],
    ['SIM_JSONRPC', 'no'],
    ['SIM_PREPOPULATE_VMS', '-1'],
    ['SIM_SR_GIB', '0'],
  ] as const) {
    it(`names ${name} when it is ${value}`, () => {
      assert.throws(
        () => parseSimEnv({ [name]: value }),
        (e: unknown) => e instanceof SimConfigError && e.message.includes(name),
      );
    });
  }

  it('accepts every LOG_LEVEL the API and the worker accept, since npm start gives all three one environment', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      assert.equal(parseSimEnv({ LOG_LEVEL: level }).logLevel, level);
  });

  it('presents an older xapi release with SIM_API_VERSION and refuses one it does not know', () => {
    assert.equal(parseSimEnv({ SIM_API_VERSION: '2.15' }).apiVersion, '2.15');
    assert.throws(
      () => parseSimEnv({ SIM_API_VERSION: '3.0' }),
      (e: unknown) => e instanceof SimConfigError && /SIM_API_VERSION/.test(e.message),
    );
  });

  it('accepts SIM_NETWORK=ovs and refuses anything but none or ovs, naming the variable', () => {
    assert.equal(parseSimEnv({ SIM_NETWORK: 'ovs' }).network, 'ovs');
    assert.throws(
      () => parseSimEnv({ SIM_NETWORK: 'bridge' }),
      (e: unknown) => e instanceof SimConfigError && /SIM_NETWORK/.test(e.message),
    );
  });
});
