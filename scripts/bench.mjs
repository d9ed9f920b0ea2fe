// `npm run bench`: runs every compiled `*.bench.js` in its own process and prints one table of ratios.
// A bench file prints JSON lines {"bench": name, "metric": ..., "value": n, "unit": ..., "baseline"?: n, "ratio"?: n}.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.includes('/dist/') && name.endsWith('.bench.js')) out.push(p);
  }
  return out;
}

const files = ['apps', 'libs', 'test']
  .flatMap((d) => walk(join(root, d), []))
  .filter((f) => !filter || f.includes(filter))
  .sort();
const rows = [];
let failed = 0;
for (const file of files) {
  const rel = relative(root, file);
  process.stderr.write(`bench: ${rel}\n`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          rows.push({ file: rel, ...JSON.parse(line) });
        } catch {
          process.stderr.write(`${line}\n`);
        }
      }
    });
    child.on('exit', resolve);
  });
  if (code !== 0) {
    failed++;
    process.stderr.write(`bench: ${rel} exited ${code}\n`);
  }
}

const fmt = (n) => (n === undefined ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
console.log('| bench | metric | value | unit | baseline | ratio |');
console.log('| --- | --- | ---: | --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.bench} | ${r.metric} | ${fmt(r.value)} | ${r.unit ?? ''} | ${fmt(r.baseline)} | ${fmt(r.ratio)} |`);
process.exit(failed ? 1 : 0);
