import { createElement, type ComponentType } from 'react';
import type { Session } from '../api.js';
import { col, ResourceList, type Column } from './list.js';
import { nameOf, useNamed } from './named.js';
import { OperationsView } from './operations.js';
import { QuotaView } from './quota.js';
import { KeypairsView, NetworksView, SecurityGroupsView, SnapshotsView, VolumesView } from './resources.js';
import { TenantsView } from './tenants.js';
import { UsageView } from './usage.js';
import { VmsView } from './vms.js';

export interface View {
  id: string;
  title: string;
  component: ComponentType<{ session: Session; route: string }>;
}

const list = (id: string, title: string, path: string, columns: Column[], kind?: string): View => ({
  id,
  title,
  component: () => createElement(ResourceList, { label: title, path, columns, kind }),
});

export const TENANT_VIEWS: View[] = [
  { id: 'vms', title: 'VMs', component: VmsView },
  { id: 'networks', title: 'Networks', component: NetworksView },
  { id: 'volumes', title: 'Volumes', component: VolumesView },
  { id: 'snapshots', title: 'Snapshots', component: SnapshotsView },
  { id: 'security-groups', title: 'Security groups', component: SecurityGroupsView },
  { id: 'keypairs', title: 'Keypairs', component: KeypairsView },
  { id: 'quota', title: 'Quota', component: QuotaView },
  { id: 'usage', title: 'Usage and invoices', component: UsageView },
  { id: 'operations', title: 'Operations', component: () => createElement(OperationsView) },
];

/** A host's memory capacity as a gauge: what is used of the total. */
const capacity: Column = {
  key: 'memory',
  label: 'Memory used',
  render: (h) => {
    const total = Number(h.memoryTotalMiB) || 0;
    const used = total - (Number(h.memoryFreeMiB) || 0);
    return (
      <meter min={0} max={Math.max(total, 1)} value={used} high={total * 0.8} aria-label={`memory of ${String(h.name)}`}>
        {used} / {total} MiB
      </meter>
    );
  },
};

/** Hosts, each with its pool's name. */
function HostsView() {
  const pools = useNamed('/v1/pools');
  const columns: Column[] = [
    col('name', 'Name'),
    { key: 'poolId', label: 'Pool', render: (h) => nameOf(pools, h.poolId) },
    col('cpus', 'CPUs'),
    col('memoryFreeMiB', 'Memory free (MiB)'),
    col('memoryTotalMiB', 'Memory total (MiB)'),
    capacity,
    col('enabled', 'Enabled'),
    col('live', 'Live'),
    col('maintenance', 'Maintenance'),
  ];
  return <ResourceList label="Hosts" path="/v1/hosts" columns={columns} />;
}

export const OPERATOR_VIEWS: View[] = [
  { id: 'tenants', title: 'Tenants and quotas', component: TenantsView },
  list('pools', 'Pools', '/v1/pools', [col('name', 'Name'), col('status', 'Status'), col('url', 'URL'), col('region', 'Region')]),
  { id: 'hosts', title: 'Hosts', component: HostsView },
  list('flavors', 'Flavors', '/v1/flavors', [
    col('name', 'Name'),
    col('vcpus', 'vCPUs'),
    col('memoryMiB', 'Memory (MiB)'),
    col('diskGiB', 'Disk (GiB)'),
  ]),
  list('images', 'Images', '/v1/images', [col('name', 'Name'), col('status', 'Status'), col('template', 'Template')], 'image'),
  list('prices', 'Prices', '/v1/prices', [col('sku', 'Sku'), col('unitPrice', 'Unit price'), col('unit', 'Unit')]),
  list('audit', 'Audit log', '/v1/audit', [
    col('at', 'When'),
    col('apiKeyName', 'Key'),
    col('method', 'Method'),
    col('path', 'Path'),
    col('status', 'Answer'),
    col('errorCode', 'Code'),
  ]),
];
