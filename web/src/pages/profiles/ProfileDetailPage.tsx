import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import { CHANNELS, type Profile } from '../../api/types';
import { Badge, Card, Empty, ErrorState, PageHeader, Spinner, Time } from '../../components/ui';
import { displayName } from './ProfilesPage';
import { SendEventForm } from './SendEventForm';
import { Timeline } from './Timeline';

const CHANNEL_LABEL: Record<(typeof CHANNELS)[number], string> = { email: 'Email', sms: 'SMS', push: 'Push', telegram: 'Telegram' };

function Fields({ fields }: { fields: Record<string, unknown> }) {
  const keys = Object.keys(fields).sort();
  if (!keys.length) return <p className="muted">No custom fields.</p>;
  return (
    <dl className="kv" data-testid="profile-fields">
      {keys.map((k) => (
        <div className="kv__row" key={k}>
          <dt>{k}</dt>
          <dd>{typeof fields[k] === 'string' ? (fields[k] as string) : <code>{JSON.stringify(fields[k])}</code>}</dd>
        </div>
      ))}
    </dl>
  );
}

export default function ProfileDetailPage() {
  const { id = '' } = useParams();
  const profile = useQuery({ queryKey: ['profile', id], queryFn: ({ signal }) => api.get<Profile>(`/profiles/${id}`, undefined, signal) });
  const back = <Link to="/profiles">← Profiles</Link>;
  if (profile.isPending) return <Spinner />;
  if (profile.isError)
    return (
      <>
        <PageHeader title="Profile" back={back} />
        {profile.error instanceof ApiError && profile.error.status === 404 ? (
          <Card>
            <Empty title="This profile does not exist, or its personal data was erased." />
          </Card>
        ) : (
          <ErrorState error={profile.error} />
        )}
      </>
    );
  const p = profile.data;
  return (
    <>
      <PageHeader
        back={back}
        title={displayName(p)}
        subtitle={
          <>
            Created <Time iso={p.created_at} /> · updated <Time iso={p.updated_at} relative />
          </>
        }
        actions={<Link to={`/messages?profile=${p.id}`}>Messages to this profile →</Link>}
      />
      <div className="grid grid--detail">
        <div className="stack">
          <Card title="Contact" testId="profile-contact">
            <dl className="kv">
              <div className="kv__row">
                <dt>Email</dt>
                <dd>{p.email ?? <span className="muted">—</span>}</dd>
              </div>
              <div className="kv__row">
                <dt>Phone</dt>
                <dd>{p.phone ?? <span className="muted">—</span>}</dd>
              </div>
              <div className="kv__row">
                <dt>External ID</dt>
                <dd>{p.external_id ? <code>{p.external_id}</code> : <span className="muted">—</span>}</dd>
              </div>
              <div className="kv__row">
                <dt>Profile ID</dt>
                <dd>
                  <code className="small">{p.id}</code>
                </dd>
              </div>
            </dl>
          </Card>
          <Card title="Subscriptions" testId="profile-subscriptions">
            <dl className="kv">
              {CHANNELS.map((c) => (
                <div className="kv__row" key={c}>
                  <dt>{CHANNEL_LABEL[c]}</dt>
                  <dd>{p.subscriptions[c] ? <Badge>{p.subscriptions[c]}</Badge> : <span className="muted">not set</span>}</dd>
                </div>
              ))}
            </dl>
          </Card>
          <Card title="Fields">
            <Fields fields={p.fields} />
          </Card>
          <Card title="Send a test event" testId="send-event">
            <SendEventForm profileId={p.id} />
          </Card>
        </div>
        <Card title="Timeline" className="card--flush" testId="timeline">
          <Timeline profileId={p.id} />
        </Card>
      </div>
    </>
  );
}
