import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { DriveLayout } from '../config-drive.js';
import { REFEREE_PY } from './referee-script.js';

const run = promisify(execFile);

export interface ExtractedDrive {
  label: string;
  dir: string;
  /** path → content, as the image holds them */
  files: Record<string, string>;
}

async function walk(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, root)));
    else out.push(relative(root, p));
  }
  return out.sort();
}

/** Reads an image back with xorriso (-osirrox): its volume label and its files. */
export async function extractIso(image: Buffer): Promise<ExtractedDrive> {
  const work = await mkdtemp(join(tmpdir(), 'xp-drive-read-'));
  const iso = join(work, 'drive.iso');
  await writeFile(iso, image);
  const dir = join(work, 'files');
  await run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', dir]);
  const { stdout } = await run('xorriso', ['-indev', iso, '-pvd_info']);
  const label = /Volume Id\s*:\s*(\S+)/.exec(stdout)?.[1] ?? '';
  const files: Record<string, string> = {};
  for (const f of await walk(dir)) files[f] = await readFile(join(dir, f), 'utf8');
  return { label, dir, files };
}

export interface CloudInitView {
  instanceId: string;
  hostname: string;
  publicKeys: string[];
  networkConfig: unknown;
  /** The user-data's cloud-config parts merged as cloud-init merges them (null: none) */
  cloudConfig: Record<string, unknown> | null;
  /** The user-data's part types, in order */
  parts: string[];
}

/** What cloud-init's datasource makes of the drive's files; `macs` are the guest's interfaces (ConfigDrive needs them). */
export async function cloudInitReads(dir: string, layout: DriveLayout, macs: Record<string, string> = {}): Promise<CloudInitView> {
  const work = await mkdtemp(join(tmpdir(), 'xp-ci-'));
  const script = join(work, 'referee.py');
  await writeFile(script, REFEREE_PY);
  const { stdout } = await run('/usr/bin/python3', [script, layout, dir, join(work, 'state'), JSON.stringify(macs)]);
  const view = JSON.parse(stdout) as CloudInitView & { error?: string };
  if (view.error) throw new Error(`cloud-init: ${view.error}`);
  return view;
}

/** `cloud-init schema --config-file`: whether cloud-init accepts a cloud-config, and what it said. */
export async function cloudInitSchema(cloudConfig: string): Promise<{ valid: boolean; output: string }> {
  const work = await mkdtemp(join(tmpdir(), 'xp-schema-'));
  const file = join(work, 'cloud-config.yaml');
  await writeFile(file, cloudConfig);
  try {
    const { stdout, stderr } = await run('cloud-init', ['schema', '--config-file', file]);
    return { valid: /Valid cloud-config/.test(stdout + stderr), output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { valid: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

export interface RenderedNic {
  name: string;
  mac: string;
  addresses: string[];
  mtu: number | null;
  gateways: string[];
  dns: string[];
}

/** `cloud-init devel net-convert` to systemd-networkd: the interfaces a Debian guest would configure. */
export async function cloudInitRendersNetwork(
  file: string,
  kind: 'yaml' | 'network_data.json',
  macs: Record<string, string> = {},
): Promise<RenderedNic[]> {
  const out = await mkdtemp(join(tmpdir(), 'xp-netconv-'));
  const macArgs = Object.entries(macs).flatMap(([mac, name]) => ['-m', `${name},${mac}`]);
  await run('cloud-init', ['devel', 'net-convert', '-p', file, '-k', kind, ...macArgs, '-d', out, '-D', 'debian', '-O', 'networkd']);
  const dir = join(out, 'etc/systemd/network');
  const nics: RenderedNic[] = [];
  for (const f of (await readdir(dir)).sort()) {
    const text = await readFile(join(dir, f), 'utf8');
    const all = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1].trim());
    nics.push({
      name: all('Name')[0],
      mac: all('MACAddress')[0],
      addresses: all('Address'),
      mtu: all('MTUBytes')[0] ? Number(all('MTUBytes')[0]) : null,
      gateways: all('Gateway'),
      dns: all('DNS'),
    });
  }
  return nics;
}
