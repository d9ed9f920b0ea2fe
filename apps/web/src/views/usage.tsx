import { api } from '../api.js';
import { usePoll } from '../use-poll.js';
import { col, ResourceList } from './list.js';

interface UsageItem {
  sku: string;
  quantity: string;
  unit: string;
  cost: string;
}

const monthStart = () => {
  const n = new Date();
  return new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), 1));
};

/** Usage this month per sku, as a bar chart of cost (rated and estimated hours summed). */
export function UsageView() {
  const from = monthStart();
  const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
  const { data, error } = usePoll(
    () => api.send<{ items: UsageItem[] }>('GET', '/v1/usage', { query: { from: from.toISOString(), to: to.toISOString() } }),
    [],
    10_000,
  );
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p aria-busy="true">Loading…</p>;
  const bySku = new Map<string, { cost: number; quantity: number; unit: string }>();
  for (const i of data.items) {
    const s = bySku.get(i.sku) ?? { cost: 0, quantity: 0, unit: i.unit };
    s.cost += Number(i.cost);
    s.quantity += Number(i.quantity);
    bySku.set(i.sku, s);
  }
  const max = Math.max(...[...bySku.values()].map((s) => s.cost), 1e-9);
  const period = from.toISOString().slice(0, 7);
  return (
    <>
      <figure aria-label={`usage in ${period} per sku`}>
        <svg role="img" aria-label="cost per sku" width="520" height={Math.max(bySku.size * 28, 28)}>
          {[...bySku.entries()].map(([sku, s], i) => (
            <g key={sku} transform={`translate(0, ${i * 28})`}>
              <text x="0" y="18" fontSize="13">
                {sku}
              </text>
              <rect x="150" y="4" height="18" width={Math.max((s.cost / max) * 250, 1)} fill="#2457a6" />
              <text x={160 + (s.cost / max) * 250} y="18" fontSize="13">
                {s.cost.toFixed(4)} ({s.quantity.toFixed(2)} {s.unit})
              </text>
            </g>
          ))}
        </svg>
        {!bySku.size && <figcaption>No usage this month yet.</figcaption>}
      </figure>
      <h3>Invoice totals ({period})</h3>
      <ResourceList
        label="invoice totals"
        path={`/v1/billing/invoices?period=${period}`}
        columns={[col('currency', 'Currency'), col('total', 'Total'), col('rows', 'Rows')]}
        everyMs={0}
      />
    </>
  );
}
