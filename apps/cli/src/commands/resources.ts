import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { Ctx, withWait, type WaitFlags } from '../context.js';
import { col, type Column } from '../output.js';
import { examples } from './help.js';

interface Spec {
  name: string;
  path: string;
  about: string;
  columns: Column[];
  /** The create command's arguments and options, turned into the request body. */
  create?: {
    args: string;
    options: [flags: string, about: string][];
    body: (args: string[], o: Record<string, string>, x: Ctx) => Promise<object>;
    example: string;
  };
  delete?: boolean;
}

const text = (v: string) => (v.startsWith('@') ? readFileSync(v.slice(1), 'utf8').trim() : v);

export const SPECS: Spec[] = [
  {
    name: 'network',
    path: '/v1/networks',
    about: 'private networks',
    columns: [col('id'), col('name'), col('cidr'), col('status')],
    create: {
      args: '<name> <cidr>',
      options: [],
      body: async ([name, cidr]) => ({ name, cidr }),
      example: 'xenplane network create net1 10.0.0.0/24 --wait',
    },
    delete: true,
  },
  {
    name: 'keypair',
    path: '/v1/keypairs',
    about: 'SSH public keys for cloud-init',
    columns: [col('id'), col('name'), col('fingerprint')],
    create: {
      args: '<name> <publicKey>',
      options: [],
      body: async ([name, publicKey]) => ({ name, publicKey: text(publicKey) }),
      example: 'xenplane keypair create me @$HOME/.ssh/id_ed25519.pub',
    },
    delete: true,
  },
  {
    name: 'security-group',
    path: '/v1/security-groups',
    about: 'stateful firewalls for NICs (rules: xenplane security-group rule)',
    columns: [col('id'), col('name'), col('description')],
    create: {
      args: '<name>',
      options: [['--description <text>', 'what the group is for']],
      body: async ([name], o) => ({ name, ...(o.description ? { description: o.description } : {}) }),
      example: 'xenplane security-group create web --description "http from anywhere"',
    },
    delete: true,
  },
  {
    name: 'provider-network',
    path: '/v1/provider-networks',
    about: 'shared networks on the hosts’ uplinks (operator creates; tenants attach NICs)',
    columns: [col('id'), col('name'), col('cidr'), col('gateway'), col('status')],
    create: {
      args: '<name> <cidr>',
      options: [
        ['--gateway <ip>', 'the router on the provider network (required)'],
        ['--pool <start-end...>', 'allocation pools, e.g. 203.0.113.10-203.0.113.99 (required)'],
        ['--dns <ip...>', 'DNS servers handed to guests'],
        ['--xapi-network <uuid>', 'an existing XAPI network'],
        ['--pif <uuid>', 'or a PIF to create a VLAN on (with --vlan)'],
        ['--vlan <tag>', 'the VLAN tag on --pif'],
        ['--tenant <id...>', 'visible only to these tenants (default: all)'],
      ],
      body: async ([name, cidr], o) => {
        const v = o as unknown as Record<string, string | string[] | undefined>;
        const list = (k: string) => (v[k] as string[] | undefined) ?? [];
        return {
          name,
          cidr,
          gateway: v.gateway,
          allocationPools: list('pool').map((range) => {
            const [start, end] = range.split('-');
            return { start, end: end ?? start };
          }),
          ...(v.dns ? { dnsServers: list('dns') } : {}),
          ...(v.xapiNetwork ? { xapiNetwork: v.xapiNetwork } : {}),
          ...(v.pif ? { pif: v.pif, vlan: Number(v.vlan) } : {}),
          ...(v.tenant ? { visibility: 'tenants', tenantIds: list('tenant') } : {}),
        };
      },
      example: 'xenplane provider-network create public 203.0.113.0/24 --gateway 203.0.113.1 --pool 203.0.113.10-203.0.113.99 --xapi-network <uuid>',
    },
    delete: true,
  },
  {
    name: 'volume',
    path: '/v1/volumes',
    about: 'block volumes',
    columns: [col('id'), col('name'), col('sizeGiB'), col('status'), col('vmId')],
    create: {
      args: '<name> <sizeGiB>',
      options: [['--type <type>', 'volume type']],
      body: async ([name, size], o) => ({ name, sizeGiB: Number(size), ...(o.type ? { type: o.type } : {}) }),
      example: 'xenplane volume create data 20 --wait',
    },
    delete: true,
  },
  {
    name: 'snapshot',
    path: '/v1/snapshots',
    about: 'VM and volume snapshots',
    columns: [col('id'), col('name'), col('status'), col('sizeGiB')],
    delete: true,
  },
  { name: 'image', path: '/v1/images', about: 'images VMs are cloned from', columns: [col('id'), col('name'), col('template')] },
  {
    name: 'flavor',
    path: '/v1/flavors',
    about: 'VM sizes (operator creates)',
    columns: [col('id'), col('name'), col('vcpus'), col('memoryMiB'), col('diskGiB')],
    create: {
      args: '<name> <vcpus> <memoryMiB> <diskGiB>',
      options: [],
      body: async ([name, vcpus, mem, disk]) => ({ name, vcpus: Number(vcpus), memoryMiB: Number(mem), diskGiB: Number(disk) }),
      example: 'xenplane flavor create small 1 1024 10',
    },
    delete: true,
  },
  {
    name: 'tenant',
    path: '/v1/tenants',
    about: 'tenants (operator)',
    columns: [col('id'), col('name'), col('status')],
    create: { args: '<name>', options: [], body: async ([name]) => ({ name }), example: 'xenplane tenant create acme' },
    delete: true,
  },
  { name: 'pool', path: '/v1/pools', about: 'XAPI pools (operator)', columns: [col('id'), col('name'), col('url'), col('status')] },
  {
    name: 'host',
    path: '/v1/hosts',
    about: 'pool hosts (operator)',
    columns: [col('id'), col('name'), col('enabled'), col('memoryFreeMiB'), col('cpus')],
  },
  { name: 'key', path: '/v1/operator-keys', about: 'operator API keys (operator)', columns: [col('id'), col('name'), col('createdAt')] },
];

/** list/show/create/delete for one resource, from its spec. */
export function resourceCommand(spec: Spec): Command {
  const cmd = new Command(spec.name).description(spec.about);
  examples(cmd, [`xenplane ${spec.name} list`, `xenplane ${spec.name} show <id|name> -o yaml`]);
  examples(cmd.command('list').description(`list ${spec.name}s`), [`xenplane ${spec.name} list -o json`]).action(async (_o: unknown, c: Command) => {
    const x = new Ctx(c);
    x.print(await x.list(spec.path), spec.columns);
  });
  examples(cmd.command('show <ref>').description(`one ${spec.name} (by id or name)`), [`xenplane ${spec.name} show <id|name>`]).action(
    async (ref: string, _o: unknown, c: Command) => {
      const x = new Ctx(c);
      x.print(await x.client.send('GET', `${spec.path}/${await x.resolve(spec.path, ref)}`), spec.columns);
    },
  );
  if (spec.create) {
    const create = spec.create;
    const sub = withWait(cmd.command(`create ${create.args}`).description(`create a ${spec.name}`));
    for (const [flags, about] of create.options) sub.option(flags, about);
    examples(sub, [create.example]).action(async (...all: unknown[]) => {
      const c = all.at(-1) as Command;
      const o = all.at(-2) as Record<string, string> & WaitFlags;
      const x = new Ctx(c);
      const answer = await x.client.send<Record<string, unknown>>('POST', spec.path, { body: await create.body(all.slice(0, -2) as string[], o, x) });
      await x.accepted(answer, spec.name, spec.columns, o);
    });
  }
  if (spec.delete)
    examples(withWait(cmd.command('delete <ref>').description(`delete a ${spec.name}`)), [`xenplane ${spec.name} delete <id|name> --wait`]).action(
      async (ref: string, o: WaitFlags, c: Command) => {
        const x = new Ctx(c);
        const answer = await x.client.send<Record<string, unknown> | undefined>('DELETE', `${spec.path}/${await x.resolve(spec.path, ref)}`);
        if (answer) await x.accepted(answer, spec.name, spec.columns, o);
      },
    );
  return cmd;
}
