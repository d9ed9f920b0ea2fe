import { api } from '../api.js';
import { ActionForm, Message, useAction } from './form.js';
import { col, ResourceList, type Row } from './list.js';
import { nameOf, options, useNamed } from './named.js';

const named = (r: Row) => String(r.name ?? r.id);
/** true, or why not: the action is offered from the statuses the API accepts it from (others are 409 invalid_state). */
type Allowed = true | string;
const from = (r: Row, ...statuses: string[]): Allowed => statuses.includes(String(r.status)) || `not while ${String(r.status)}`;

/** A destructive action asks first; declined, it sends nothing and says so. */
const KEPT = Symbol('kept');
const confirmed =
  <T,>(question: string, action: () => Promise<T>) =>
  async (): Promise<T | typeof KEPT> =>
    window.confirm(question) ? action() : KEPT;

/** A row's buttons: each sends one change and says what came of it; one the API would refuse is disabled, saying why. */
function Buttons({ row, buttons }: { row: Row; buttons: [string, () => Promise<unknown>, Allowed?][] }) {
  const [said, act] = useAction();
  return (
    <span className="actions">
      {buttons.map(([label, run, allowed = true]) => (
        <button
          key={label}
          type="button"
          aria-label={`${label} ${named(row)}`}
          disabled={allowed !== true}
          title={allowed === true ? undefined : allowed}
          onClick={() => void act(async () => ((await run()) === KEPT ? `${label}: not done` : `${label}: sent for ${named(row)}`))}
        >
          {label}
        </button>
      ))}
      <Message said={said} />
    </span>
  );
}

type Values = Record<string, string | number>;
/** A delete button's action; lists the event stream does not carry are read again after it. */
const del = (path: string, reload?: () => void) => async () => (await api.send('DELETE', path), reload?.());
/** A create form's submit: the POST, a fresh list, and what to say. */
const create = (path: string, reload: () => void, said: (v: Values) => string) => async (v: Values) => (
  await api.send('POST', path, { body: v }),
  reload(),
  said(v)
);

export function NetworksView() {
  return (
    <ResourceList
      label="networks"
      path="/v1/networks"
      kind="network"
      columns={[col('name', 'Name'), col('status', 'Status'), col('cidr', 'CIDR')]}
      actions={(n) => <Buttons row={n} buttons={[['delete', del(`/v1/networks/${String(n.id)}`)]]} />}
    >
      {(reload) => (
        <ActionForm
          id="net"
          title="Create a network"
          submit="Create network"
          fields={[
            { name: 'name', label: 'Name', required: true },
            { name: 'cidr', label: 'CIDR', required: true, placeholder: '10.0.0.0/24' },
          ]}
          onSubmit={create('/v1/networks', reload, (v) => `network ${String(v.name)} is being created`)}
        />
      )}
    </ResourceList>
  );
}

export function VolumesView() {
  const vms = useNamed('/v1/vms');
  const attach = (v: Row) => async () => {
    const vmId = (document.getElementById(`attach-${String(v.id)}`) as HTMLSelectElement | null)?.value;
    await api.send('POST', `/v1/volumes/${String(v.id)}/actions`, { body: { action: 'attach', vmId } });
  };
  return (
    <ResourceList
      label="volumes"
      path="/v1/volumes"
      kind="volume"
      columns={[
        col('name', 'Name'),
        col('status', 'Status'),
        col('sizeGiB', 'Size (GiB)'),
        { key: 'vmId', label: 'Attached to', render: (v) => nameOf(vms, v.vmId) },
      ]}
      actions={(v) => (
        <>
          {!v.vmId && (
            <>
              <label htmlFor={`attach-${String(v.id)}`} className="inline">
                VM for {named(v)}
              </label>
              <select id={`attach-${String(v.id)}`} disabled={from(v, 'available') !== true}>
                {options(vms).map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </>
          )}
          <Buttons
            row={v}
            buttons={[
              v.vmId
                ? [
                    'detach',
                    () => api.send('POST', `/v1/volumes/${String(v.id)}/actions`, { body: { action: 'detach' } }),
                    from(v, 'in-use', 'error'),
                  ]
                : ['attach', attach(v), from(v, 'available')],
              [
                'snapshot',
                () => api.send('POST', `/v1/volumes/${String(v.id)}/snapshots`, { body: { name: `${named(v)}-${Date.now().toString(36)}` } }),
                from(v, 'available', 'in-use'),
              ],
              [
                'delete',
                confirmed(`Delete volume ${named(v)}? Its data goes with it.`, del(`/v1/volumes/${String(v.id)}`)),
                from(v, 'available', 'error'),
              ],
            ]}
          />
        </>
      )}
    >
      {(reload) => (
        <ActionForm
          id="vol"
          title="Create a volume"
          submit="Create volume"
          fields={[
            { name: 'name', label: 'Name', required: true },
            { name: 'sizeGiB', label: 'Size (GiB)', type: 'number', required: true },
          ]}
          onSubmit={create('/v1/volumes', reload, (v) => `volume ${String(v.name)} is being created`)}
        />
      )}
    </ResourceList>
  );
}

export function SnapshotsView() {
  const vms = useNamed('/v1/vms');
  const volumes = useNamed('/v1/volumes');
  return (
    <ResourceList
      label="snapshots"
      path="/v1/snapshots"
      kind="snapshot"
      columns={[
        col('name', 'Name'),
        col('status', 'Status'),
        col('kind', 'Of a'),
        { key: 'of', label: 'Source', render: (s) => (s.vmId ? nameOf(vms, s.vmId) : nameOf(volumes, s.volumeId)) },
      ]}
      actions={(s) => (
        <Buttons
          row={s}
          buttons={[
            [
              'revert',
              () => api.send('POST', `/v1/snapshots/${String(s.id)}/revert`),
              s.vmId ? from(s, 'available') : "a volume's snapshot is restored into a new volume, not reverted",
            ],
            ['delete', del(`/v1/snapshots/${String(s.id)}`), from(s, 'available', 'error')],
          ]}
        />
      )}
    >
      {(reload) => (
        <ActionForm
          id="snap"
          title="Snapshot a VM"
          submit="Create snapshot"
          fields={[
            { name: 'vmId', label: 'VM', type: 'select', options: options(vms), required: true },
            { name: 'name', label: 'Name', required: true },
          ]}
          onSubmit={async ({ vmId, name }) => (
            await api.send('POST', `/v1/vms/${String(vmId)}/snapshots`, { body: { name } }),
            reload(),
            `snapshot ${String(name)} is being taken`
          )}
        />
      )}
    </ResourceList>
  );
}

export function KeypairsView() {
  return (
    <ResourceList
      label="keypairs"
      path="/v1/keypairs"
      columns={[col('name', 'Name'), col('fingerprint', 'Fingerprint')]}
      actions={(k, reload) => <Buttons row={k} buttons={[['delete', del(`/v1/keypairs/${String(k.id)}`, reload)]]} />}
    >
      {(reload) => (
        <ActionForm
          id="kp"
          title="Add a keypair"
          submit="Add keypair"
          fields={[
            { name: 'name', label: 'Name', required: true },
            { name: 'publicKey', label: 'Public key', type: 'textarea', required: true, placeholder: 'ssh-ed25519 AAAA… you@laptop' },
          ]}
          onSubmit={create('/v1/keypairs', reload, (v) => `keypair ${String(v.name)} added`)}
        />
      )}
    </ResourceList>
  );
}

/** Security groups (`#security-groups`) and one group's rules (`#security-groups/<id>`). */
export function SecurityGroupsView({ route }: { route: string }) {
  const id = /^security-groups\/([0-9a-f-]{36})$/.exec(route)?.[1];
  if (id) return <RulesView groupId={id} />;
  return (
    <ResourceList
      label="security groups"
      path="/v1/security-groups"
      columns={[col('name', 'Name'), col('description', 'Description')]}
      actions={(g, reload) => (
        <>
          <a href={`#security-groups/${String(g.id)}`} aria-label={`rules of ${named(g)}`}>
            rules
          </a>{' '}
          <Buttons row={g} buttons={[['delete', del(`/v1/security-groups/${String(g.id)}`, reload)]]} />
        </>
      )}
    >
      {(reload) => (
        <ActionForm
          id="sg"
          title="Create a security group"
          submit="Create group"
          fields={[
            { name: 'name', label: 'Name', required: true },
            { name: 'description', label: 'Description' },
          ]}
          onSubmit={create('/v1/security-groups', reload, (v) => `group ${String(v.name)} created`)}
        />
      )}
    </ResourceList>
  );
}

const choice = (...v: string[]) => v.map((x) => ({ value: x, label: x }));

function RulesView({ groupId }: { groupId: string }) {
  const path = `/v1/security-groups/${groupId}/rules`;
  const groups = useNamed('/v1/security-groups');
  return (
    <>
      <p>
        <a href="#security-groups">All security groups</a>
      </p>
      <h3>Rules of {nameOf(groups, groupId)}</h3>
      <ResourceList
        label="rules"
        path={path}
        columns={[
          col('direction', 'Direction'),
          col('protocol', 'Protocol'),
          col('portMin', 'From port'),
          col('portMax', 'To port'),
          col('remoteCidr', 'Peer'),
        ]}
        actions={(r, reload) => (
          <Buttons row={{ ...r, name: `rule ${String(r.id).slice(0, 8)}` }} buttons={[['delete', del(`${path}/${String(r.id)}`, reload)]]} />
        )}
      >
        {(reload) => (
          <ActionForm
            id="rule"
            title="Add a rule"
            submit="Add rule"
            fields={[
              { name: 'direction', label: 'Direction', type: 'select', options: choice('ingress', 'egress'), required: true },
              { name: 'protocol', label: 'Protocol', type: 'select', options: choice('tcp', 'udp', 'icmp', 'any'), required: true },
              { name: 'portMin', label: 'From port', type: 'number' },
              { name: 'portMax', label: 'To port', type: 'number' },
              { name: 'remoteCidr', label: 'Peer CIDR', required: true, placeholder: '0.0.0.0/0' },
            ]}
            onSubmit={create(path, reload, () => 'rule added')}
          />
        )}
      </ResourceList>
    </>
  );
}
