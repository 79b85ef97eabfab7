import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '../../api/client';
import type { ImportResult, Job } from '../../api/types';
import { Badge, ErrorState, JsonView, Spinner } from '../../components/ui';

function isImportResult(r: unknown): r is ImportResult {
  return Boolean(r && typeof r === 'object' && 'created' in r && 'failed' in r && Array.isArray((r as ImportResult).errors));
}

/** Follows a long operation (`GET /jobs/{id}`) until it is done or failed, then shows its result. */
export function JobProgress({ id, onDone }: { id: string; onDone?: (job: Job) => void }) {
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: () => api.get<Job>(`/jobs/${id}`),
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'running' ? false : 400),
  });
  const finished = job.data && job.data.status !== 'running' ? job.data : null;
  useEffect(() => {
    if (finished) onDone?.(finished);
    // Once per finished job.
  }, [finished?.id, finished?.status]);
  if (job.isPending) return <Spinner label="Starting…" />;
  if (job.isError) return <ErrorState error={job.error} />;
  const j = job.data;
  const pct = j.total ? Math.min(100, Math.round((j.done / j.total) * 100)) : j.status === 'running' ? null : 100;
  return (
    <div className="job" data-testid="job" data-status={j.status}>
      <div className="job__head">
        <Badge>{j.status}</Badge>
        <span className="muted">{j.kind}</span>
        <span className="job__count">
          {j.done.toLocaleString()}
          {j.total ? ` / ${j.total.toLocaleString()}` : ''} processed
        </span>
      </div>
      <div className={`progress${pct === null ? ' progress--indeterminate' : ''}`}>
        <div className="progress__bar" style={{ width: pct === null ? undefined : `${pct}%` }} />
      </div>
      {j.status === 'failed' && <div className="alert alert--error">{j.error}</div>}
      {j.status === 'done' && isImportResult(j.result) && <ImportSummary result={j.result} />}
      {j.status === 'done' && j.result !== undefined && !isImportResult(j.result) && <JsonView value={j.result} />}
    </div>
  );
}

export function ImportSummary({ result }: { result: ImportResult }) {
  return (
    <div className="import-summary">
      <div className="stats">
        <div className="stat">
          <div className="stat__value">{result.created}</div>
          <div className="stat__label">created</div>
        </div>
        <div className="stat">
          <div className="stat__value">{result.updated}</div>
          <div className="stat__label">updated</div>
        </div>
        <div className={`stat${result.failed ? ' stat--bad' : ''}`}>
          <div className="stat__value">{result.failed}</div>
          <div className="stat__label">failed</div>
        </div>
      </div>
      {result.errors.length > 0 && (
        <table className="table table--compact">
          <thead>
            <tr>
              <th>Row</th>
              <th>Problem</th>
            </tr>
          </thead>
          <tbody>
            {result.errors.slice(0, 100).map((e, i) => (
              <tr key={i}>
                <td className="num">{e.row}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
