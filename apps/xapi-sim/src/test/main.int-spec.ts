import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JsonRpc, login } from '../testing/xapi-test-client.js';

const mainJs = fileURLToPath(new URL('../main.js', import.meta.url));

function run(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'xapi-sim-main-')); // not the repository's data folder
  return spawn(process.execPath, [mainJs], {
    env: { PATH: process.env.PATH ?? '', SIM_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('main.js as a process', () => {
  it('logs the listening line as JSON, serves XAPI, and exits 0 on SIGTERM', async () => {
    const child = run({ SIM_PORT: '0', SIM_HOSTS: '3' });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        for (const line of out.split('\n')) {
          if (!line.includes('xapi-sim listening')) continue;
          const entry = JSON.parse(line);
          assert.equal(entry.level, 'info');
          assert.match(entry.time, /^\d{4}-\d{2}-\d{2}T/);
          resolve(entry.port);
        }
      });
      child.once('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    assert.ok(port > 0);
    const json = new JsonRpc(`http://127.0.0.1:${port}`);
    const s = await login(json);
    assert.equal((await json.call('host.get_all', s)).length, 3);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  it('exits 1 naming the bad variable on stderr, without a stack trace', async () => {
    for (const [name, value] of [
      ['SIM_HOSTS', 'many'],
      ['SIM_NETWORK', 'bridge'],
    ]) {
      const child = run({ [name]: value });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const [code] = await once(child, 'exit');
      assert.equal(code, 1);
      assert.match(err, new RegExp(name));
      assert.doesNotMatch(err, /\n\s+at /);
    }
  });
});
