// Where the simulator keeps data: SIM_DATA_DIR, or for an in-process simulator a temporary directory it removes.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DataDir {
  root: string;
  vdis: string;
  dispose(): void;
}

export function openDataDir(dir: string | undefined): DataDir {
  const root = dir ?? mkdtempSync(join(tmpdir(), 'xapi-sim-'));
  const vdis = join(root, 'vdis');
  mkdirSync(vdis, { recursive: true });
  return { root, vdis, dispose: () => (dir === undefined ? rmSync(root, { recursive: true, force: true }) : undefined) };
}
