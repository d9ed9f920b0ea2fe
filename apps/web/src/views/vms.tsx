import { useState, type FormEvent } from 'react';
import { api, explain, type Page, type Session } from '../api.js';
import { usePoll, useLiveEvents } from '../use-poll.js';
import { ConsoleView } from './console.js';
import { col, ResourceList, type Row } from './list.js';

type Named = { id: string; name: string };
const names = async (path: string) => (await api.send<Page<Named>>('GET', path)).items;

const addresses = (vm: Row) =>
  ((vm.nics as { ip?: string | null; guestIps?: string[] }[] | undefined) ?? [])
    // The allocated address, then what the guest reports beyond it (usually the same one).
    .flatMap((n) => [n.ip, ...(n.guestIps ?? []).filter((g) => g !== n.ip)])
    .filter(Boolean)
    .join(', ') || '—';

/** The operation running on a VM, by its kind (`vm.stop` reads as `stop`). */
const busyWith = (vm: Row) => {
  const kind = (vm.operation as { kind?: string } | null | undefined)?.kind;
  return kind ? kind.replace(/^vm\./, '') : undefined;
};
/** The API's own answer to what the VM allows now (its status, and no operation running): the buttons follow it. */
const allows = (vm: Row, action: string) => Array.isArray(vm.allowedActions) && vm.allowedActions.includes(action);
const refusal = (vm: Row, action: string) => {
  if (allows(vm, action)) return undefined;
  const busy = busyWith(vm);
  return busy ? `wait: ${busy} in progress` : `not while ${String(vm.status)}`;
};

/** VMs: the list following the event stream, its actions, the create form, and a VM's console (`#vms/console/<id>`). */
export function VmsView({ route }: { session: Session; route: string }) {
  const [problem, setProblem] = useState<string | null>(null);
  const { data: flavors } = usePoll(() => names('/v1/flavors'), [], 0);
  // An operation on a VM that fails says why, whoever launched it.
  useLiveEvents((e) => {
    if (e.type !== 'operation.failed' || e.data.resourceType !== 'vm') return;
    const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
    const d = e.data;
    setProblem(`${text(d.kind, 'operation')} of VM ${text(d.resourceId, '?')} failed: ${text(d.errorCode, 'failed')}: ${text(d.errorDetail, '')}`);
  });
  const consoleOf = /^vms\/console\/([0-9a-f-]{36})$/.exec(route)?.[1];
  if (consoleOf) return <ConsoleView vmId={consoleOf} />;
  // The 202 answer's VM (naming its operation, allowing nothing) is shown at once, so no second click slips in.
  const act = async (vm: Row, action: string, put: (row: Row) => void) => {
    setProblem(null);
    try {
      const id = String(vm.id);
      let answer: { vm?: Row } | undefined;
      if (action === 'delete') {
        if (!window.confirm(`Delete VM ${String(vm.name)}? Its disks and snapshots go with it.`)) return;
        answer = await api.send('DELETE', `/v1/vms/${id}`);
      } else if (action === 'resize') {
        const flavorId = (document.getElementById(`resize-${id}`) as HTMLSelectElement | null)?.value;
        answer = await api.send('PATCH', `/v1/vms/${id}`, { body: { flavorId } });
      } else answer = await api.send('POST', `/v1/vms/${id}/actions`, { body: { action } });
      if (answer?.vm) put(answer.vm);
    } catch (err) {
      setProblem(`${action} ${String(vm.name)}: ${explain(err)}`);
    }
  };
  return (
    <>
      <CreateVm />
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <ResourceList
        label="VMs"
        path="/v1/vms"
        kind="vm"
        columns={[
          col('name', 'Name'),
          col('status', 'Status'),
          col('vcpus', 'vCPUs'),
          col('memoryMiB', 'Memory (MiB)'),
          { key: 'ips', label: 'Addresses', render: addresses },
          { key: 'operation', label: 'In progress', render: (vm) => busyWith(vm) ?? '—' },
        ]}
        actions={(vm, _reload, put) => (
          <span className="actions">
            {['start', 'stop', 'reboot', 'delete'].map((a) => (
              <button
                key={a}
                type="button"
                onClick={() => void act(vm, a, put)}
                aria-label={`${a} ${String(vm.name)}`}
                disabled={!allows(vm, a)}
                title={refusal(vm, a)}
              >
                {a}
              </button>
            ))}
            <label htmlFor={`resize-${String(vm.id)}`} className="inline">
              Flavor for {String(vm.name)}
            </label>
            <select id={`resize-${String(vm.id)}`} defaultValue={String(vm.flavorId)} disabled={!allows(vm, 'resize')}>
              {(flavors ?? []).map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name}
                </option>
              ))}
            </select>
            <button
              type="button"
              onClick={() => void act(vm, 'resize', put)}
              aria-label={`resize ${String(vm.name)}`}
              disabled={!allows(vm, 'resize')}
              title={refusal(vm, 'resize')}
            >
              resize
            </button>
            {vm.status === 'running' && !vm.operation && <a href={`#vms/console/${String(vm.id)}`}>console</a>}
          </span>
        )}
      />
    </>
  );
}

function CreateVm() {
  const { data: choices } = usePoll(
    async () => ({
      flavors: await names('/v1/flavors'),
      images: await names('/v1/images'),
      networks: await names('/v1/networks'),
      keypairs: await names('/v1/keypairs'),
    }),
    [],
    0,
  );
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const all = (k: string) => f.getAll(k).map(String).filter(Boolean);
    const text = (k: string) => {
      const v = f.get(k);
      return typeof v === 'string' ? v : '';
    };
    const body = {
      name: text('name'),
      flavorId: text('flavorId'),
      imageId: text('imageId'),
      ...(all('networkIds').length ? { networkIds: all('networkIds') } : {}),
      ...(all('keypairIds').length ? { keypairIds: all('keypairIds') } : {}),
      ...(text('userData') ? { userData: text('userData') } : {}),
    };
    try {
      await api.send('POST', '/v1/vms', { body });
      setMessage({ ok: true, text: `VM ${body.name} is being created` });
    } catch (err) {
      setMessage({ ok: false, text: explain(err) });
    }
  };
  const select = (name: string, label: string, items: Named[] = [], multiple = false) => (
    <div className="field">
      <label htmlFor={`vm-${name}`}>{label}</label>
      <select id={`vm-${name}`} name={name} multiple={multiple} required={!multiple}>
        {items.map((i) => (
          <option key={i.id} value={i.id}>
            {i.name}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form className="create" onSubmit={(e) => void submit(e)} aria-label="create a VM">
      <h3>Create a VM</h3>
      <div className="field">
        <label htmlFor="vm-name">Name</label>
        <input id="vm-name" name="name" required />
      </div>
      {select('flavorId', 'Flavor', choices?.flavors)}
      {select('imageId', 'Image', choices?.images)}
      {select('networkIds', 'Networks', choices?.networks, true)}
      {select('keypairIds', 'Keypairs', choices?.keypairs, true)}
      <div className="field">
        <label htmlFor="vm-userdata">User-data</label>
        <textarea id="vm-userdata" name="userData" rows={3} />
      </div>
      <button type="submit" disabled={!choices}>
        Create
      </button>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
          {message.text}
        </p>
      )}
    </form>
  );
}
