// The shared XAPI reference (datamodel, SDK recordings) lives beside the repository: ../shared/reference/xapi.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/testing/: five levels up is the directory holding the repository.
export const referenceDir = process.env.XAPI_REFERENCE_DIR ?? fileURLToPath(new URL('../../../../../shared/reference/xapi/', import.meta.url));

// Why a test cannot run here, or undefined; under CI=true a missing reference fails instead of skipping.
export function referenceMissing(): string | undefined {
  if (existsSync(join(referenceDir, 'xenapi.json'))) return undefined;
  const why = `XAPI reference not found at ${referenceDir} (set XAPI_REFERENCE_DIR)`;
  if (process.env.CI === 'true') throw new Error(why);
  return why;
}

export interface Recording {
  file: string;
  id: string;
  methods: string[];
  params: Record<string, unknown[]>;
  expected: Record<string, { result?: unknown; error?: unknown }>;
}

// The SDK component-test recordings; some hold bare Infinity (not JSON), read here as the number it means.
export function loadRecordings(): Recording[] {
  const dir = join(referenceDir, 'sdk-spec');
  const out: Recording[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const text = readFileSync(join(dir, file), 'utf8').replace(/:\s*(-?)Infinity\b/g, ': $11e999');
    for (const [id, r] of Object.entries(JSON.parse(text) as Record<string, any>)) {
      out.push({ file, id, methods: r.method, params: r.params, expected: r.expected_result });
    }
  }
  return out;
}

// xenapi.json: classes with messages and their declared params (session included).
export function loadXenapiJson(): Array<{ name: string; messages: Array<{ name: string; params: Array<{ type: string; name: string }> }> }> {
  return JSON.parse(readFileSync(join(referenceDir, 'xenapi.json'), 'utf8'));
}
