// Local lint rule: a file may import a package of ours only if its workspace declares it (devDependencies count for
// tests, fixtures and benches), and a relative import may not leave its workspace. package.json is the import graph.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

const TEST_FILE = /(\.spec|\.int-spec|\.e2e-spec)\.ts$|[/\\](testing|bench|test)[/\\]/;
const manifests = new Map();

/** The workspace a file belongs to: the nearest directory up with a package.json, and what it declares. */
function workspaceOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (manifests.has(dir)) return manifests.get(dir);
    const path = join(dir, 'package.json');
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(readFileSync(path, 'utf8'));
    const ws = { dir, name: pkg.name, deps: new Set(Object.keys(pkg.dependencies ?? {})), devDeps: new Set(Object.keys(pkg.devDependencies ?? {})) };
    manifests.set(dir, ws);
    return ws;
  }
  return undefined;
}

export default {
  rules: {
    'declared-imports': {
      meta: {
        type: 'problem',
        schema: [],
        messages: {
          undeclared: '{{pkg}} is not declared in {{ws}}/package.json ({{kind}}): declare it or do not import it',
          escapes: 'relative import {{path}} leaves its workspace {{ws}}; import the package by name',
        },
      },
      create(context) {
        const file = context.filename;
        const ws = workspaceOf(file);
        if (!ws || ws.name === 'xenplane') return {};
        const isTest = TEST_FILE.test(file);
        const check = (node) => {
          const spec = node.source?.value;
          if (typeof spec !== 'string') return;
          if (spec.startsWith('@xenplane/')) {
            const pkg = spec.split('/').slice(0, 2).join('/');
            if (pkg === ws.name || ws.deps.has(pkg) || (isTest && ws.devDeps.has(pkg))) return;
            context.report({
              node,
              messageId: 'undeclared',
              data: { pkg, ws: ws.dir.split(sep).slice(-2).join('/'), kind: isTest ? 'dependencies or devDependencies' : 'dependencies' },
            });
          } else if (spec.startsWith('.')) {
            const target = resolve(dirname(file), spec);
            if (target !== ws.dir && !target.startsWith(ws.dir + sep))
              context.report({ node, messageId: 'escapes', data: { path: spec, ws: ws.name } });
          }
        };
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
  },
};
