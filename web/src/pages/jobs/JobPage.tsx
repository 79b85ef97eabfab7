import { Link, useParams } from 'react-router';
import { Card, PageHeader } from '../../components/ui';
import { JobProgress } from './JobProgress';

/** Any long operation by id: imports now; code generation and segment snapshots later. */
export default function JobPage() {
  const { id = '' } = useParams();
  return (
    <>
      <PageHeader title="Job" subtitle={<code>{id}</code>} back={<Link to="/profiles">← Profiles</Link>} />
      <Card>
        <JobProgress id={id} />
      </Card>
    </>
  );
}
