// Writes data/xapi-datamodel.json: the XAPI datamodel (xenapi.json) trimmed to what the simulator reads.
// Usage: node apps/xapi-sim/scripts/extract-datamodel.mjs [path/to/xenapi.json]
// (default: ../shared/reference/xapi/xenapi.json beside the repository root)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = process.argv[2] ?? fileURLToPath(new URL('../../../../shared/reference/xapi/xenapi.json', import.meta.url));
const out = new URL('../data/xapi-datamodel.json', import.meta.url);
const classes = JSON.parse(readFileSync(source, 'utf8'));
const enums = {};
const slim = classes.map((c) => {
  for (const e of c.enums) enums[e.name] = e.values.map((v) => v.name);
  return {
    name: c.name,
    fields: c.fields.map((f) => ({ name: f.name, type: f.type, qualifier: f.qualifier, ...(f.default !== undefined ? { default: f.default } : {}) })),
    messages: c.messages.map((m) => ({ name: m.name, params: m.params.map((p) => [p.type, p.name]), result: m.result[0], implicit: m.implicit })),
  };
});
writeFileSync(out, JSON.stringify({ source: 'xapi-project/xen-api doc/data/xenapi.json', classes: slim, enums }) + '\n');
console.log(`wrote ${out.pathname}: ${slim.length} classes, ${Object.keys(enums).length} enums`);
