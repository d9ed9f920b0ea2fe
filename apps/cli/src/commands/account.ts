import { Command } from 'commander';
import { Ctx, type WaitFlags, withWait } from '../context.js';
import { col, type Column } from '../output.js';
import { examples } from './help.js';

const OP_COLUMNS: Column[] = [
  col('id'),
  col('kind'),
  col('status'),
  col('step'),
  col('resourceId'),
  ['error', (r) => (r.error as { code?: string } | undefined)?.code],
];

export function operationCommand(): Command {
  const cmd = examples(new Command('operation').description('asynchronous operations and their progress'), [
    'xenplane operation list',
    'xenplane operation wait <id>',
  ]);
  examples(cmd.command('list').description('recent operations').option('--status <status>', 'queued|running|succeeded|failed'), [
    'xenplane operation list --status failed',
  ]).action(async (o: { status?: string }, c: Command) => {
    const x = new Ctx(c);
    x.print(await x.list('/v1/operations', { status: o.status }), OP_COLUMNS);
  });
  examples(cmd.command('show <id>').description('one operation'), ['xenplane operation show <id> -o json']).action(
    async (id: string, _o: unknown, c: Command) => {
      const x = new Ctx(c);
      x.print(await x.client.send('GET', `/v1/operations/${id}`), OP_COLUMNS);
    },
  );
  examples(withWait(cmd.command('wait <id>').description('wait for an operation, showing its progress')), [
    'xenplane operation wait <id> --timeout 120',
  ]).action(async (id: string, o: WaitFlags, c: Command) => {
    const x = new Ctx(c);
    x.print(await x.wait(id, `operation ${id}`, o), OP_COLUMNS);
  });
  return cmd;
}

/** Read-only account views: quota, usage, prices, billing export. */
export function accountCommands(): Command[] {
  const quota = examples(new Command('quota').description('your quota: limits and live usage'), ['xenplane quota', 'xenplane quota --tenant <id>']);
  quota.option('--tenant <id>', 'a tenant’s quota (operator)').action(async (o: { tenant?: string }, c: Command) => {
    const x = new Ctx(c);
    const q = await x.client.send<Record<string, unknown>>('GET', o.tenant ? `/v1/tenants/${o.tenant}/quota` : '/v1/quota');
    x.print(q, []);
  });

  const usage = examples(new Command('usage').description('metered usage per sku'), ['xenplane usage --from 2026-12-01 --to 2026-12-31']);
  usage
    .option('--from <date>', 'window start (ISO date)')
    .option('--to <date>', 'window end (ISO date)')
    .option('--tenant <id>', 'one tenant (operator)')
    .action(async (o: { from?: string; to?: string; tenant?: string }, c: Command) => {
      const x = new Ctx(c);
      const answer = await x.client.send<{ items?: unknown[] } | unknown[]>('GET', '/v1/usage', {
        query: { from: o.from, to: o.to, tenantId: o.tenant },
      });
      x.print(Array.isArray(answer) ? answer : (answer.items ?? answer), [col('tenantId'), col('sku'), col('quantity'), col('unit')]);
    });

  const price = examples(new Command('price').description('the price list'), ['xenplane price list']);
  price.command('list').action(async (_o: unknown, c: Command) => {
    const x = new Ctx(c);
    const list = await x.client.send<{ currency: string; items: unknown[] }>('GET', '/v1/prices');
    x.print(x.out.output === 'table' ? list.items : list, [col('sku'), col('unitPrice'), col('unit')]);
  });

  const billing = new Command('billing').description('billing exports');
  examples(billing.command('export').description('the FOCUS export for a window').option('--from <date>').option('--to <date>'), [
    'xenplane billing export --from 2026-11-01 --to 2026-12-01 -o json',
  ]).action(async (o: { from?: string; to?: string }, c: Command) => {
    const x = new Ctx(c);
    const answer = await x.client.send<unknown>('GET', '/v1/billing/export', { query: { from: o.from, to: o.to } });
    x.print(answer, []);
  });
  return [quota, usage, price, billing];
}
