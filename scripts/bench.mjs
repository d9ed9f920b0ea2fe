// `npm run bench`: runs every compiled `*.bench.js` in its own process and prints one table of ratios.
// A bench file prints JSON lines {"bench": name, "metric": ..., "value": n, "unit": ..., "baseline"?: n, "ratio"?: n,
// "goal"?: "<=0.3" | ">=0.5" | "<256"}; a goal is held against the ratio, or against the value when there is no ratio.
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

/** 'held', 'missed', or '' without a goal; a goal that does not parse is a bench bug, shown as such. */
function verdict(r) {
  if (!r.goal) return '';
  const m = /^(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)$/.exec(r.goal);
  const x = r.ratio ?? r.value;
  if (!m || typeof x !== 'number') return `bad goal ${r.goal}`;
  const g = Number(m[2]);
  const ok = { '<=': x <= g, '>=': x >= g, '<': x < g, '>': x > g }[m[1]];
  return ok ? 'held' : 'missed';
}

console.log('| bench | metric | value | unit | baseline | ratio | goal | held? |');
console.log('| --- | --- | ---: | --- | ---: | ---: | --- | --- |');
for (const r of rows) {
  const goal = r.goal ? `${r.ratio === undefined ? 'value ' : ''}${r.goal}` : '';
  console.log(`| ${r.bench} | ${r.metric} | ${fmt(r.value)} | ${r.unit ?? ''} | ${fmt(r.baseline)} | ${fmt(r.ratio)} | ${goal} | ${verdict(r)} |`);
}
const judged = rows.filter((r) => r.goal);
const missed = judged.filter((r) => verdict(r) !== 'held');
console.log('');
console.log(
  `goals held: ${judged.length - missed.length} of ${judged.length}${missed.length ? `; missed: ${missed.map((r) => `${r.bench}: ${r.metric}`).join('; ')}` : ''}`,
);
// A missed goal is a finding, not a failure: only a bench that crashed fails the run.
process.exit(failed ? 1 : 0);
