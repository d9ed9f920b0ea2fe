import { col, ResourceList } from './list.js';
import { nameOf, useNamed } from './named.js';
import { OperationsView } from './operations.js';
import { TenantQuota } from './quota.js';
import type { Session } from '../api.js';

/** Operators: the tenants, and one tenant (`#tenants/<id>`): its quota, its VMs and operations (`?tenantId=`). */
export function TenantsView({ route, session }: { session: Session; route: string }) {
  const id = /^tenants\/([0-9a-f-]{36})$/.exec(route)?.[1];
  const hosts = useNamed('/v1/hosts');
  if (id)
    return (
      <>
        <p>
          <a href="#tenants">All tenants</a>
        </p>
        <TenantQuota tenantId={id} session={session} />
        <h3>VMs</h3>
        <ResourceList
          label="tenant VMs"
          path={`/v1/vms?tenantId=${id}`}
          kind="vm"
          columns={[
            col('name', 'Name'),
            col('status', 'Status'),
            col('vcpus', 'vCPUs'),
            col('memoryMiB', 'Memory (MiB)'),
            { key: 'hostId', label: 'Host', render: (vm) => nameOf(hosts, vm.hostId) },
          ]}
        />
        <h3>Operations</h3>
        <OperationsView path={`/v1/operations?tenantId=${id}`} />
      </>
    );
  return (
    <ResourceList
      label="tenants"
      path="/v1/tenants"
      columns={[col('name', 'Name'), col('status', 'Status'), col('id', 'Id')]}
      actions={(t) => (
        <a href={`#tenants/${String(t.id)}`} aria-label={`quota of ${String(t.name)}`}>
          quota
        </a>
      )}
    />
  );
}
