import { Link, Route, Routes, useNavigate } from 'react-router';
import { useCursorPages } from '../../api/hooks';
import { Icon } from '../../components/icons';
import { Badge, Button, Card, Empty, ErrorState, PageHeader, Pager, Spinner, Time } from '../../components/ui';
import { useSegmentCount, type Segment } from './api';
import SegmentDetail from './SegmentDetail';
import { SegmentForm } from './SegmentForm';

function Count({ id }: { id: string }) {
  const c = useSegmentCount(id);
  return <span className="num">{c.data ? c.data.count.toLocaleString() : c.isError ? '—' : '…'}</span>;
}

function SegmentList() {
  const navigate = useNavigate();
  const { list, page, hasNext, next, prev } = useCursorPages<Segment>(['segments', 'list'], '/segments', {}, 50);
  return (
    <>
      <PageHeader
        title="Segments"
        subtitle="Groups of customers built from conditions (dynamic) or from a list (static). Scenarios start from them and conditions refer to them."
        actions={
          <Button variant="primary" onClick={() => navigate('/segments/new')}>
            New segment
          </Button>
        }
      />
      <Card className="card--flush" testId="segment-list">
        {list.isPending ? (
          <Spinner />
        ) : list.isError ? (
          <ErrorState error={list.error} />
        ) : list.data.items.length === 0 && page === 0 ? (
          <Empty icon={<Icon name="filter" size={28} />} title="No segments yet">
            Create one from conditions such as “lives in Berlin and visited twice in 30 days”.
          </Empty>
        ) : (
          <>
            <table className="table table--hover">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Type</th>
                  <th>Profiles now</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((s) => (
                  <tr key={s.id} className="clickable" data-segment={s.name} onClick={() => navigate(`/segments/${s.id}`)}>
                    <td>
                      <Link to={`/segments/${s.id}`} className="strong" onClick={(e) => e.stopPropagation()}>
                        {s.name}
                      </Link>
                      {s.description && <div className="muted small">{s.description}</div>}
                    </td>
                    <td>
                      <Badge>{s.type}</Badge> {s.time_relative && <Badge tone="amber">time-relative</Badge>}
                    </td>
                    <td>
                      <Count id={s.id} />
                    </td>
                    <td>
                      <Time iso={s.updated_at} relative />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
          </>
        )}
      </Card>
    </>
  );
}

function NewSegment() {
  const navigate = useNavigate();
  return (
    <>
      <PageHeader title="New segment" back={<Link to="/segments">← Segments</Link>} />
      <Card testId="segment-form">
        <SegmentForm onSaved={(s) => navigate(`/segments/${s.id}`)} />
      </Card>
    </>
  );
}

export default function SegmentsPage() {
  return (
    <Routes>
      <Route index element={<SegmentList />} />
      <Route path="new" element={<NewSegment />} />
      <Route path=":id" element={<SegmentDetail />} />
    </Routes>
  );
}
