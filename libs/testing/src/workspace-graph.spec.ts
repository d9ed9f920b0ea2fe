// The package graph the house rules set (docs/ARCHITECTURE.md): each workspace declares the packages of ours it
// imports (lint holds imports to the declaration), and the declarations themselves obey the layering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { repoRoot } from './processes.js';

interface Workspace {
  dir: string;
  name: string;
  deps: string[];
  devDeps: string[];
  exports: string[];
  references: string[];
}

const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] };
const workspaces: Workspace[] = root.workspaces.map((dir) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    exports?: Record<string, unknown>;
  };
  const tsconfig = JSON.parse(readFileSync(join(repoRoot, dir, 'tsconfig.json'), 'utf8')) as { references?: { path: string }[] };
  const ours = (m?: Record<string, string>) =>
    Object.keys(m ?? {})
      .filter((n) => n.startsWith('@xenplane/'))
      .sort();
  return {
    dir,
    name: pkg.name,
    deps: ours(pkg.dependencies),
    devDeps: ours(pkg.devDependencies),
    exports: Object.keys(pkg.exports ?? {}),
    references: (tsconfig.references ?? []).map((r) => relative(repoRoot, resolve(repoRoot, dir, r.path))).sort(),
  };
});
const byName = new Map(workspaces.map((w) => [w.name, w]));
const isApp = (w: Workspace) => w.dir.startsWith('apps/');

test('every package of ours a workspace declares exists, and the TypeScript build references exactly those', () => {
  for (const w of workspaces) {
    const declared = [...new Set([...w.deps, ...w.devDeps])];
    for (const d of declared) assert.ok(byName.has(d), `${w.dir} declares unknown ${d}`);
    assert.deepEqual(w.references, declared.map((d) => byName.get(d)!.dir).sort(), `${w.dir}: tsconfig references follow package.json`);
  }
});

test('apps never depend on each other and libs never on apps', () => {
  for (const w of workspaces) {
    for (const d of [...w.deps, ...w.devDeps]) {
      assert.ok(!isApp(byName.get(d)!), `${w.dir} depends on the app ${d}`);
    }
  }
});

test('the XAPI driver and the simulator stand alone: their product code depends on nothing of ours', () => {
  assert.deepEqual(byName.get('@xenplane/xapi-driver')!.deps, []);
  assert.deepEqual([...byName.get('@xenplane/xapi-sim')!.deps, ...byName.get('@xenplane/xapi-sim')!.devDeps], []);
});

test('libraries export named entry points, never a wildcard into their files', () => {
  for (const w of workspaces) for (const e of w.exports) assert.ok(!e.includes('*'), `${w.dir} exports ${e}`);
});

test('the Dockerfile copies every workspace manifest before npm ci', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  for (const w of workspaces) assert.match(dockerfile, new RegExp(`^COPY ${w.dir}/package\\.json `, 'm'), `${w.dir}/package.json`);
});
