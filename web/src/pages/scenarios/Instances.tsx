import { Link } from 'react-router';
import { useCursorPages } from '../../api/hooks';
import { Badge, Card, Empty, ErrorState, Pager, Spinner, Time } from '../../components/ui';

interface Instance {
  id: string;
  profile_id: string;
  version: number;
  status: string;
  node_id: string | null;
  wake_at: string | null;
  data: Record<string, unknown>;
  history: { node_id: string; at: string; outcome: string }[];
}

/** GET /scenarios/{id}/instances: who is where in the journey, and when each waiting one wakes. */
export function Instances({ scenarioId, onPick }: { scenarioId: string; onPick?: (nodeId: string) => void }) {
  const { list, page, hasNext, next, prev } = useCursorPages<Instance>(['scenarios', scenarioId, 'instances'], `/scenarios/${scenarioId}/instances`, {}, 10, 3000);
  return (
    <Card title="Instances" className="card--flush" testId="scenario-instances">
      {list.isPending ? (
        <Spinner />
      ) : list.isError ? (
        <ErrorState error={list.error} />
      ) : !list.data.items.length && page === 0 ? (
        <Empty title="Nobody has entered yet." />
      ) : (
        <>
          <table className="table table--compact">
            <thead>
              <tr>
                <th>Profile</th>
                <th>Status</th>
                <th>At step</th>
                <th>Wakes</th>
                <th className="num">Version</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((i) => (
                <tr key={i.id} data-instance={i.id}>
                  <td>
                    <Link to={`/profiles/${i.profile_id}`} title={i.profile_id}>
                      …{i.profile_id.slice(-8)}
                    </Link>
                  </td>
                  <td>
                    <Badge>{i.status}</Badge>
                  </td>
                  <td>
                    {i.node_id ? (
                      <button type="button" className="link" onClick={() => onPick?.(i.node_id!)}>
                        {i.node_id}
                      </button>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    <Time iso={i.wake_at} />
                  </td>
                  <td className="num">{i.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
        </>
      )}
    </Card>
  );
}
