import { Command } from 'commander';
import { Ctx, withWait, type WaitFlags } from '../context.js';
import { CliError, EXIT } from '../exit.js';
import { col, type Column } from '../output.js';
import { examples } from './help.js';

// What hangs off a resource: a VM's NICs and snapshots, a volume's attachment, a group's rules.

const NIC_COLUMNS: Column[] = [
  col('id'),
  col('device'),
  col('status'),
  col('networkKind'),
  col('ip'),
  col('mac'),
  ['guestIps', (r) => ((r.guestIps as string[] | undefined) ?? []).join(',')],
  ['securityGroups', (r) => ((r.securityGroupIds as string[] | undefined) ?? []).join(',')],
];
const SNAPSHOT_COLUMNS: Column[] = [col('id'), col('name'), col('status'), col('sizeGiB')];
const VOLUME_COLUMNS: Column[] = [col('id'), col('name'), col('sizeGiB'), col('status'), col('vmId')];
const RULE_COLUMNS: Column[] = [
  col('id'),
  col('direction'),
  col('protocol'),
  ['ports', (r) => (typeof r.portMin !== 'number' ? '' : r.portMin === r.portMax ? r.portMin : `${String(r.portMin)}-${String(r.portMax)}`)],
  ['remote', (r) => r.remoteCidr ?? r.remoteGroupId],
];

/** A tenant network or, failing that, a provider network: a NIC may sit on either. */
async function resolveNetwork(x: Ctx, ref: string): Promise<string> {
  try {
    return await x.resolve('/v1/networks', ref);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return x.resolve('/v1/provider-networks', ref);
  }
}

const groupIds = (x: Ctx, refs: string[] | undefined) => Promise.all((refs ?? []).map((g) => x.resolve('/v1/security-groups', g)));

/** `xenplane vm nic ...`: a VM's NICs after create. */
export function nicCommand(): Command {
  const nic = examples(new Command('nic').description('a VM’s network interfaces'), [
    'xenplane vm nic list web1',
    'xenplane vm nic add web1 --network public --security-group web --wait',
  ]);
  examples(nic.command('list <vm>').description('the VM’s NICs with their addresses'), ['xenplane vm nic list web1 -o json']).action(
    async (vm: string, _o: unknown, c: Command) => {
      const x = new Ctx(c);
      const answer = await x.client.send<{ items: unknown[] }>('GET', `/v1/vms/${await x.resolve('/v1/vms', vm)}/nics`);
      x.print(answer.items, NIC_COLUMNS);
    },
  );
  examples(
    withWait(
      nic
        .command('add <vm>')
        .description('add a NIC on a tenant or provider network')
        .requiredOption('--network <network>', 'network or provider network (id or name)')
        .option('--security-group <group...>', 'security groups for the NIC (default: the tenant’s default)'),
    ),
    ['xenplane vm nic add web1 --network public --wait'],
  ).action(async (vm: string, o: { network: string; securityGroup?: string[] } & WaitFlags, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/vms', vm);
    const body = {
      networkId: await resolveNetwork(x, o.network),
      ...(o.securityGroup ? { securityGroupIds: await groupIds(x, o.securityGroup) } : {}),
    };
    const nicNow = async (nicId: string) =>
      (await x.client.send<{ items: { id: string }[] }>('GET', `/v1/vms/${id}/nics`)).items.find((n) => n.id === nicId);
    await x.accepted(await x.client.send('POST', `/v1/vms/${id}/nics`, { body }), 'nic', NIC_COLUMNS, o, nicNow);
  });
  examples(withWait(nic.command('remove <vm> <nic>').description('remove a NIC; its address goes back to the network')), [
    'xenplane vm nic remove web1 <nic-id> --wait',
  ]).action(async (vm: string, nicId: string, o: WaitFlags, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/vms', vm);
    await x.accepted(await x.client.send('DELETE', `/v1/vms/${id}/nics/${nicId}`), 'nic', NIC_COLUMNS, o);
  });
  examples(
    nic
      .command('set-groups <vm> <nic>')
      .description('replace the NIC’s security groups (none: no ingress at all)')
      .option('--security-group <group...>', 'the groups (id or name)'),
    ['xenplane vm nic set-groups web1 <nic-id> --security-group default web'],
  ).action(async (vm: string, nicId: string, o: { securityGroup?: string[] }, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/vms', vm);
    const body = { securityGroupIds: await groupIds(x, o.securityGroup) };
    x.print(await x.client.send('PUT', `/v1/vms/${id}/nics/${nicId}`, { body }), NIC_COLUMNS);
  });
  return nic;
}

/** `xenplane vm snapshot <vm> <name>`: a snapshot of the whole VM. */
export function vmSnapshotCommand(): Command {
  return examples(withWait(new Command('snapshot').arguments('<vm> <name>').description('snapshot a VM (all its disks)')), [
    'xenplane vm snapshot web1 before-upgrade --wait',
  ]).action(async (vm: string, name: string, o: WaitFlags, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/vms', vm);
    await x.accepted(await x.client.send('POST', `/v1/vms/${id}/snapshots`, { body: { name } }), 'snapshot', SNAPSHOT_COLUMNS, o);
  });
}

/** Extra verbs on the generic resource commands: snapshot revert, volume attach/detach/resize/snapshot, group rules. */
export function extendResources(byName: Map<string, Command>): void {
  const snapshot = byName.get('snapshot');
  const volume = byName.get('volume');
  const group = byName.get('security-group');
  const host = byName.get('host');
  if (!snapshot || !volume || !group || !host) throw new Error('the snapshot, volume, security-group and host commands must exist first');

  examples(host.command('maintenance <host> <on|off>').description('drain a host (its VMs move live) or put it back in service (operator)'), [
    'xenplane host maintenance xs-03 on',
    'xenplane host maintenance xs-03 off',
  ]).action(async (ref: string, state: string, _o: unknown, c: Command) => {
    if (state !== 'on' && state !== 'off') throw new CliError(`maintenance is "on" or "off", not "${state}"`, EXIT.usage);
    const x = new Ctx(c);
    const id = await x.resolve('/v1/hosts', ref);
    const view = await x.client.send('POST', `/v1/hosts/${id}/maintenance`, { body: { enabled: state === 'on' } });
    x.print(view, [col('id'), col('name'), col('enabled'), col('maintenance'), ['blockers', (r) => r.maintenanceBlockers]]);
  });

  examples(withWait(snapshot.command('revert <snapshot>').description('revert its VM or volume to the snapshot')), [
    'xenplane snapshot revert before-upgrade --wait',
  ]).action(async (ref: string, o: WaitFlags, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/snapshots', ref);
    await x.accepted(await x.client.send('POST', `/v1/snapshots/${id}/revert`), 'snapshot', SNAPSHOT_COLUMNS, o);
  });

  examples(withWait(volume.command('attach <volume> <vm>').description('attach a volume to a VM')), [
    'xenplane volume attach data web1 --wait',
  ]).action(async (ref: string, vm: string, o: WaitFlags, c: Command) => {
    const x = new Ctx(c);
    const [id, vmId] = await Promise.all([x.resolve('/v1/volumes', ref), x.resolve('/v1/vms', vm)]);
    await x.accepted(await x.client.send('POST', `/v1/volumes/${id}/actions`, { body: { action: 'attach', vmId } }), 'volume', VOLUME_COLUMNS, o);
  });
  examples(withWait(volume.command('detach <volume>').description('detach a volume').option('--force', 'even if the guest refuses')), [
    'xenplane volume detach data --wait',
  ]).action(async (ref: string, o: { force?: boolean } & WaitFlags, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/volumes', ref);
    const body = { action: 'detach', ...(o.force ? { force: true } : {}) };
    await x.accepted(await x.client.send('POST', `/v1/volumes/${id}/actions`, { body }), 'volume', VOLUME_COLUMNS, o);
  });
  examples(withWait(volume.command('resize <volume> <sizeGiB>').description('grow a volume (detached, or its VM stopped)')), [
    'xenplane volume resize data 40 --wait',
  ]).action(async (ref: string, size: string, o: WaitFlags, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/volumes', ref);
    await x.accepted(await x.client.send('PATCH', `/v1/volumes/${id}`, { body: { sizeGiB: Number(size) } }), 'volume', VOLUME_COLUMNS, o);
  });
  examples(withWait(volume.command('snapshot <volume> <name>').description('snapshot one volume')), [
    'xenplane volume snapshot data nightly --wait',
  ]).action(async (ref: string, name: string, o: WaitFlags, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/volumes', ref);
    await x.accepted(await x.client.send('POST', `/v1/volumes/${id}/snapshots`, { body: { name } }), 'snapshot', SNAPSHOT_COLUMNS, o);
  });

  const rule = examples(group.command('rule').description('a security group’s rules'), [
    'xenplane security-group rule add web --protocol tcp --port 443 --remote-cidr 0.0.0.0/0',
  ]);
  examples(rule.command('list <group>').description('the group’s rules'), ['xenplane security-group rule list web']).action(
    async (ref: string, _o: unknown, c: Command) => {
      const x = new Ctx(c);
      x.print(await x.client.send('GET', `/v1/security-groups/${await x.resolve('/v1/security-groups', ref)}/rules`), RULE_COLUMNS);
    },
  );
  examples(
    rule
      .command('add <group>')
      .description('allow new connections: ingress to the NIC or egress from it')
      .option('--direction <direction>', 'ingress|egress', 'ingress')
      .option('--protocol <protocol>', 'tcp|udp|icmp|any', 'tcp')
      .option('--port <port>', 'one port, or a range as 8000-8080 (tcp/udp)')
      .option('--remote-cidr <cidr>', 'the peer’s addresses')
      .option('--remote-group <group>', 'or the members of a group (id or name)'),
    [
      'xenplane security-group rule add web --port 22 --remote-cidr 198.51.100.0/24',
      'xenplane security-group rule add db --port 5432 --remote-group web',
    ],
  ).action(async (ref: string, o: { direction: string; protocol: string; port?: string; remoteCidr?: string; remoteGroup?: string }, c: Command) => {
    const x = new Ctx(c);
    const id = await x.resolve('/v1/security-groups', ref);
    const [portMin, portMax] = (o.port ?? '').split('-').filter(Boolean).map(Number);
    const body = {
      direction: o.direction,
      protocol: o.protocol,
      ...(portMin !== undefined ? { portMin, portMax: portMax ?? portMin } : {}),
      ...(o.remoteCidr ? { remoteCidr: o.remoteCidr } : {}),
      ...(o.remoteGroup ? { remoteGroupId: await x.resolve('/v1/security-groups', o.remoteGroup) } : {}),
    };
    x.print(await x.client.send('POST', `/v1/security-groups/${id}/rules`, { body }), RULE_COLUMNS);
  });
  examples(rule.command('delete <group> <rule>').description('delete a rule: the connections it allowed are cut'), [
    'xenplane security-group rule delete web <rule-id>',
  ]).action(async (ref: string, ruleId: string, _o: unknown, c: Command) => {
    const x = new Ctx(c);
    await x.client.send('DELETE', `/v1/security-groups/${await x.resolve('/v1/security-groups', ref)}/rules/${ruleId}`);
    if (!x.out.quiet) process.stderr.write(`rule ${ruleId} deleted\n`);
  });
}
