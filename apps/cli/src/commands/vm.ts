import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { Ctx, withWait, type WaitFlags } from '../context.js';
import { col, type Column } from '../output.js';
import { examples } from './help.js';
import { nicCommand, vmSnapshotCommand } from './attachments.js';

const VM_COLUMNS: Column[] = [
  col('id'),
  col('name'),
  col('status'),
  col('vcpus'),
  col('memoryMiB'),
  col('diskGiB'),
  [
    'addresses',
    (r) =>
      ((r.nics as { ip?: string | null }[] | undefined) ?? [])
        .map((n) => n.ip)
        .filter(Boolean)
        .join(','),
  ],
];

const ctx = (c: Command) => new Ctx(c);

async function action(c: Command, ref: string, name: 'start' | 'stop' | 'reboot', flags: WaitFlags): Promise<void> {
  const x = ctx(c);
  const id = await x.resolve('/v1/vms', ref);
  const answer = await x.client.send<Record<string, unknown>>('POST', `/v1/vms/${id}/actions`, { body: { action: name } });
  await x.accepted(answer, 'vm', VM_COLUMNS, flags);
}

export function vmCommand(): Command {
  const vm = new Command('vm').description('virtual machines');
  examples(vm, ['xenplane vm list', 'xenplane vm create web1 --flavor small --image debian-12 --network net1 --wait']);

  examples(vm.command('list').description('list VMs').option('--status <status...>', 'only these statuses'), ['xenplane vm list -o json']).action(
    async (opts: { status?: string[] }, c: Command) => {
      const x = ctx(c);
      x.print(await x.list('/v1/vms', { status: opts.status?.join(',') }), VM_COLUMNS);
    },
  );

  examples(vm.command('show <vm>').description('one VM (by id or name)'), ['xenplane vm show web1']).action(
    async (ref: string, _o: unknown, c: Command) => {
      const x = ctx(c);
      x.print(await x.client.send('GET', `/v1/vms/${await x.resolve('/v1/vms', ref)}`), VM_COLUMNS);
    },
  );

  examples(
    withWait(
      vm
        .command('create <name>')
        .description('create a VM from a flavor and an image')
        .requiredOption('--flavor <flavor>', 'flavor id or name')
        .requiredOption('--image <image>', 'image id or name')
        .option('--network <network...>', 'network ids or names (one NIC each)')
        .option('--keypair <keypair...>', 'keypair ids or names')
        .option('--disk-gib <n>', 'root disk size in GiB (at least the flavor’s)')
        .option('--user-data <text>', 'cloud-init user-data')
        .option('--hostname <hostname>', 'guest hostname'),
    ),
    ['xenplane vm create web1 --flavor small --image debian-12 --network net1 --keypair me --wait'],
  ).action(
    async (
      name: string,
      o: {
        flavor: string;
        image: string;
        network?: string[];
        keypair?: string[];
        diskGib?: string;
        userData?: string;
        hostname?: string;
      } & WaitFlags,
      c: Command,
    ) => {
      const x = ctx(c);
      const body = {
        name,
        flavorId: await x.resolve('/v1/flavors', o.flavor),
        imageId: await x.resolve('/v1/images', o.image),
        ...(o.network ? { networkIds: await Promise.all(o.network.map((n) => x.resolve('/v1/networks', n))) } : {}),
        ...(o.keypair ? { keypairIds: await Promise.all(o.keypair.map((k) => x.resolve('/v1/keypairs', k))) } : {}),
        ...(o.diskGib ? { diskGiB: Number(o.diskGib) } : {}),
        ...(o.userData ? { userData: o.userData } : {}),
        ...(o.hostname ? { hostname: o.hostname } : {}),
      };
      await x.accepted(await x.client.send('POST', '/v1/vms', { body }), 'vm', VM_COLUMNS, o);
    },
  );

  for (const name of ['start', 'stop', 'reboot'] as const)
    examples(withWait(vm.command(`${name} <vm>`).description(`${name} a VM`)), [`xenplane vm ${name} web1 --wait`]).action(
      (ref: string, o: WaitFlags, c: Command) => action(c, ref, name, o),
    );

  examples(
    withWait(
      vm
        .command('migrate <vm>')
        .description('move a running VM live to another host (operator)')
        .option('--host <host>', 'the destination (id or name)'),
    ),
    ['xenplane vm migrate web1 --host xs-02 --wait'],
  ).action(async (ref: string, o: { host?: string } & WaitFlags, c: Command) => {
    const x = ctx(c);
    const id = await x.resolve('/v1/vms', ref);
    const body = { action: 'migrate', ...(o.host ? { hostId: await x.resolve('/v1/hosts', o.host) } : {}) };
    await x.accepted(await x.client.send('POST', `/v1/vms/${id}/actions`, { body }), 'vm', VM_COLUMNS, o);
  });

  examples(withWait(vm.command('resize <vm>').description('change a VM’s flavor').requiredOption('--flavor <flavor>', 'new flavor id or name')), [
    'xenplane vm resize web1 --flavor large --wait',
  ]).action(async (ref: string, o: { flavor: string } & WaitFlags, c: Command) => {
    const x = ctx(c);
    const id = await x.resolve('/v1/vms', ref);
    const answer = await x.client.send<Record<string, unknown>>('PATCH', `/v1/vms/${id}`, {
      body: { flavorId: await x.resolve('/v1/flavors', o.flavor) },
    });
    await x.accepted(answer, 'vm', VM_COLUMNS, o);
  });

  examples(withWait(vm.command('delete <vm>').description('delete a VM and its disks')), ['xenplane vm delete web1 --wait']).action(
    async (ref: string, o: WaitFlags, c: Command) => {
      const x = ctx(c);
      const answer = await x.client.send<Record<string, unknown>>('DELETE', `/v1/vms/${await x.resolve('/v1/vms', ref)}`);
      await x.accepted(answer, 'vm', VM_COLUMNS, o);
    },
  );

  examples(vm.command('console <vm>').description('open the VM’s console in the browser').option('--print', 'print the URL instead of opening it'), [
    'xenplane vm console web1 --print',
  ]).action(async (ref: string, o: { print?: boolean }, c: Command) => {
    const x = ctx(c);
    const view = await x.client.send<{ url: string | null; expiresAt: string }>('POST', `/v1/vms/${await x.resolve('/v1/vms', ref)}/console`);
    if (!view.url) throw new Error('the API answered no console URL');
    if (o.print || x.out.output !== 'table') return x.print(view, [col('url'), col('expiresAt')]);
    const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
    spawn(opener, [view.url], { stdio: 'ignore', detached: true })
      .on('error', () => process.stdout.write(`${view.url}\n`))
      .unref();
  });
  vm.addCommand(nicCommand());
  vm.addCommand(vmSnapshotCommand());
  return vm;
}
