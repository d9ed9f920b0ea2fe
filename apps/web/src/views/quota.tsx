import { useState, type FormEvent } from 'react';
import { api, explain, type Session } from '../api.js';
import { usePoll } from '../use-poll.js';

type Amounts = Record<string, number | null>;
interface Quota {
  limits: Amounts;
  used: Amounts;
}

/** One gauge per dimension: what is used of the limit (an unlimited one shows its use alone). */
export function Gauges({ quota }: { quota: Quota }) {
  return (
    <ul className="gauges">
      {Object.keys(quota.limits).map((k) => {
        const used = quota.used[k] ?? 0;
        const limit = quota.limits[k];
        return (
          <li key={k}>
            <label htmlFor={`gauge-${k}`}>
              {k}: {used} / {limit ?? '∞'}
            </label>
            <meter id={`gauge-${k}`} min={0} max={limit ?? Math.max(used, 1)} value={used} high={(limit ?? Infinity) * 0.8} />
          </li>
        );
      })}
    </ul>
  );
}

export function QuotaView() {
  // Quota moves when an operation is accepted or ends: read again then, not on a timer.
  const { data, error } = usePoll(
    () => api.send<Quota>('GET', '/v1/quota'),
    [],
    5000,
    (e) => /^operation\.(accepted|succeeded|failed)$/.test(e.type),
  );
  if (error) return <p role="alert">{error}</p>;
  return data ? <Gauges quota={data} /> : <p aria-busy="true">Loading…</p>;
}

const CORE = ['vms', 'vcpus', 'memoryMiB', 'diskGiB', 'networks'];

/** An operator sets one tenant's limits: every dimension shown, empty meaning unlimited. */
export function TenantQuota({ tenantId }: { session?: Session; tenantId: string }) {
  const { data, reload } = usePoll(() => api.send<Quota>('GET', `/v1/tenants/${tenantId}/quota`), [tenantId], 0);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  if (!data) return <p aria-busy="true">Loading…</p>;
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const limits = Object.fromEntries(
      Object.keys(data.limits).map((k) => {
        const raw = f.get(k);
        const v = typeof raw === 'string' ? raw.trim() : '';
        return [k, v === '' ? null : Number(v)];
      }),
    );
    try {
      await api.send('PUT', `/v1/tenants/${tenantId}/quota`, { body: limits });
      setMessage({ ok: true, text: 'Quota saved' });
      reload();
    } catch (err) {
      setMessage({ ok: false, text: explain(err) });
    }
  };
  return (
    <>
      <Gauges quota={data} />
      <form onSubmit={(e) => void submit(e)} aria-label="set the quota" className="quota-form">
        {Object.keys(data.limits).map((k) => (
          <div className="field" key={k}>
            <label htmlFor={`limit-${k}`}>{k}</label>
            <input
              id={`limit-${k}`}
              name={k}
              type="number"
              min={0}
              defaultValue={data.limits[k] ?? ''}
              placeholder="unlimited"
              required={false}
              data-core={CORE.includes(k)}
            />
          </div>
        ))}
        <button type="submit">Save quota</button>
        {message && (
          <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
            {message.text}
          </p>
        )}
      </form>
    </>
  );
}
