import type { Command } from 'commander';
import { createXenplaneClient, listAll, OperationFailedError, waitForOperation, type Operation, type XenplaneClient } from '@xenplane/client';
import { resolveProfile } from './config.js';
import { CliError, EXIT } from './exit.js';
import { print, type Column, type Format, type OutputOptions } from './output.js';
import { ProgressDisplay } from './progress.js';

interface GlobalOptions {
  profile?: string;
  output: Format;
  quiet?: boolean;
}

/** What every command needs: the client of the chosen profile and the output choices. */
export class Ctx {
  readonly client: XenplaneClient;
  readonly out: OutputOptions;

  constructor(cmd: Command) {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const profile = resolveProfile(g.profile);
    this.client = createXenplaneClient({ baseUrl: profile.url, token: profile.token, idempotency: true });
    this.out = { output: g.output, quiet: Boolean(g.quiet) };
  }

  print(value: unknown, columns: Column[]): void {
    print(value, columns, this.out);
  }

  /** Every page of a list route. */
  list<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
    return listAll((cursor) => this.client.send<{ items: T[]; nextCursor: string | null }>('GET', path, { query: { ...query, limit: 500, cursor } }));
  }

  /** A resource given by id or by unique name. */
  async resolve(path: string, ref: string): Promise<string> {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) return ref;
    const hits = (await this.list<{ id: string; name?: string }>(path)).filter((r) => r.name === ref);
    if (hits.length === 1) return hits[0].id;
    throw new CliError(
      hits.length ? `"${ref}" names ${String(hits.length)} resources: use an id` : `no resource named "${ref}" at ${path}`,
      EXIT.api,
    );
  }

  /** An accepted change: waits with the live display when asked, then prints the resource (or the operation). */
  async accepted(
    answer: Record<string, unknown>,
    resourceKey: string,
    columns: Column[],
    wait: WaitFlags,
    refresh?: (id: string) => Promise<unknown>,
  ): Promise<void> {
    const op = answer.operation as Operation | undefined;
    if (!op || !wait.wait) {
      this.print(answer[resourceKey] ?? answer, columns);
      if (op && !this.out.quiet && this.out.output === 'table')
        process.stderr.write(`operation ${op.id} ${op.status} (xenplane operation wait ${op.id})\n`);
      return;
    }
    const done = await this.wait(op.id, `${op.kind} ${op.resourceId}`, wait);
    const resource = answer[resourceKey] as { id?: string } | undefined;
    // The resource the answer named (a snapshot's operation runs on its VM, so the operation's type is not it).
    const path = PATHS[resourceKey];
    const reread = refresh ?? (path ? (id: string) => this.client.send('GET', `${path}/${id}`) : undefined);
    const fresh = resource?.id && reread && !done.kind.endsWith('.delete') ? await reread(resource.id).catch(() => resource) : resource;
    this.print(fresh ?? done, columns);
  }

  /** Waits for an operation with the live progress display; failure and timeout exit with their own codes. */
  async wait(id: string, label: string, flags: WaitFlags): Promise<Operation> {
    const display = new ProgressDisplay(label, process.stderr, !this.out.quiet);
    try {
      const op = await waitForOperation(this.client, id, { timeoutMs: Number(flags.timeout ?? 600) * 1000, onProgress: (o) => display.update(o) });
      display.succeeded(op);
      return op;
    } catch (err) {
      if (err instanceof OperationFailedError) {
        display.failed(err.code, err.detail);
        throw new CliError('', EXIT.operationFailed);
      }
      display.stop();
      throw err;
    }
  }
}

export interface WaitFlags {
  wait?: boolean;
  timeout?: string;
}

const PATHS: Record<string, string> = { vm: '/v1/vms', volume: '/v1/volumes', network: '/v1/networks', snapshot: '/v1/snapshots' };

/** `--wait` and `--timeout` for every asynchronous command. */
export function withWait(cmd: Command): Command {
  return cmd
    .option('-w, --wait', 'wait for the operation to finish, showing its progress')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 4)', '600');
}
