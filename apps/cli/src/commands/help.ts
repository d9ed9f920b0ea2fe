import type { Command } from 'commander';

/** Appends an "Examples:" block to a command's `--help`. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
