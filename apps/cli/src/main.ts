import { Command, CommanderError, Option } from 'commander';
import { ApiError, WaitTimeoutError } from '@xenplane/client';
import { accountCommands, operationCommand } from './commands/account.js';
import { extendResources } from './commands/attachments.js';
import { completionCommand } from './commands/completion.js';
import { examples } from './commands/help.js';
import { loginCommand } from './commands/login.js';
import { resourceCommand, SPECS } from './commands/resources.js';
import { vmCommand } from './commands/vm.js';
import { CliError, EXIT } from './exit.js';

export function buildProgram(): Command {
  const program = new Command('xenplane')
    .description('The xenplane command line: VMs, networks, volumes and the rest of the API, from a terminal.')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option('-q, --quiet', 'print ids only (and no progress)')
    .option('-p, --profile <name>', 'the saved profile to use (default: the current one)')
    .showHelpAfterError()
    .exitOverride();
  examples(program, [
    'xenplane login --url http://127.0.0.1:3000 --token $KEY',
    'xenplane vm create web1 --flavor small --image debian-12 --wait',
    'xenplane vm list -o json',
  ]);
  program.addHelpText(
    'after',
    '\nEnvironment: XENPLANE_URL and XENPLANE_TOKEN override the profile; XENPLANE_PROFILE picks one.\n' +
      'Exit codes: 0 success, 1 API error (its code is printed), 2 usage, 3 operation failed, 4 wait timed out, 5 not logged in or API unreachable.\n',
  );
  program.addCommand(loginCommand());
  program.addCommand(vmCommand());
  const resources = new Map(SPECS.map((spec) => [spec.name, resourceCommand(spec)]));
  extendResources(resources);
  for (const cmd of resources.values()) program.addCommand(cmd);
  program.addCommand(operationCommand());
  for (const c of accountCommands()) program.addCommand(c);
  program.addCommand(completionCommand(program));
  // Every subcommand exits through the same error mapping as the root.
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof CliError) {
    if (err.message) process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ApiError) {
    process.stderr.write(`error: ${err.code} (${String(err.status)}): ${err.detail}\n`);
    for (const f of err.fields) process.stderr.write(`  ${f.path}: ${f.message}\n`);
    return EXIT.api;
  }
  if (err instanceof WaitTimeoutError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT.timeout;
  }
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  if (err instanceof TypeError && cause) {
    process.stderr.write(`error: cannot reach the API (${cause})\n`);
    return EXIT.config;
  }
  process.stderr.write(`error: ${(err as Error).message}\n`);
  return EXIT.api;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeOf(err);
}
