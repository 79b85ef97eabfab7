import { Link } from 'react-router';
import { Card, Empty, PageHeader } from '../../components/ui';

export default function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Card>
        <Empty title="There is nothing at this address.">
          <Link to="/profiles">Go to profiles</Link>
        </Empty>
      </Card>
    </>
  );
}
