// Text snapshots for tests: expected output lives in src/flows/__snapshots__/*.txt, read at test time.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

// Compiled tests run from dist/flows; the snapshots stay in the source tree.
const dir = fileURLToPath(new URL('../../src/flows/__snapshots__/', import.meta.url));

/** A minimal line diff (LCS) so a failure shows exactly which flows changed. */
export function lineDiff(expected: string[], actual: string[]): string[] {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = expected[i] === actual[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let [i, j] = [0, 0];
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) [i, j] = [i + 1, j + 1];
    else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) out.push(`+ ${actual[j++]}`);
    else out.push(`- ${expected[i++]}`);
  }
  return out;
}

/**
 * Compares `lines` with `__snapshots__/<name>.txt`; fails with a diff on any difference.
 * `UPDATE_SNAPSHOTS=1` (re)writes the file instead; a missing file is an error otherwise.
 */
export function assertSnapshot(name: string, lines: string[]): void {
  const file = `${dir}${name}.txt`;
  const text = `${lines.join('\n')}\n`;
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    writeFileSync(file, text);
    return;
  }
  assert.ok(existsSync(file), `snapshot ${file} is missing (run with UPDATE_SNAPSHOTS=1 to create it)`);
  const expected = readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
  const diff = lineDiff(expected, lines);
  assert.ok(diff.length === 0, `snapshot ${name} differs (- expected, + actual):\n${diff.join('\n')}`);
}
