// The official Python XenAPI module, as the SDK tests run it: Debian's python3 (not a pyenv shim) sees the
// apt-installed os_xenapi; XENAPI_PYTHON overrides. Missing: the tests skip, or fail with CI=true.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const python = process.env.XENAPI_PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'from os_xenapi.client import XenAPI'], { encoding: 'utf8' });
export const pythonMissing =
  probe.status === 0
    ? undefined
    : `${python} cannot import os_xenapi.client.XenAPI (apt-get install -y python3-os-xenapi): ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`;
export const pythonSkip = pythonMissing && process.env.CI !== 'true' ? pythonMissing : false;

// The check scripts are kept in src/ as data files; compiled tests run from dist/.
export const pythonScript = (name: string) => fileURLToPath(new URL(`../../src/test/python/${name}`, import.meta.url));

// Runs a check script (src/test/python/<name>) against the simulator; its report is the last line it prints, as JSON.
export async function runPythonCheck(name: string, args: string[], timeoutMs = 60_000): Promise<any> {
  const { stdout } = await promisify(execFile)(python, [pythonScript(name), ...args], { timeout: timeoutMs });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}
