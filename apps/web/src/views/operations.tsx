import { col, ResourceList, type Row } from './list.js';

const why = (op: Row) => {
  const e = op.error as { code?: string; detail?: string } | null | undefined;
  return e ? <span className="error">{`${e.code ?? 'failed'}: ${e.detail ?? ''}`}</span> : '—';
};

/** The operation history; a failure says its problem's code and detail. */
export function OperationsView({ path = '/v1/operations' }: { path?: string }) {
  return (
    <ResourceList
      label="operations"
      path={path}
      kind="operation"
      columns={[
        col('kind', 'Kind'),
        col('status', 'Status'),
        col('resourceId', 'Resource'),
        col('step', 'Step'),
        col('createdAt', 'Created'),
        { key: 'error', label: 'Failure', render: why },
      ]}
    />
  );
}
