import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { Card, PageHeader } from '../../components/ui';
import { MessagesTable } from './MessagesTable';

const STATUSES = ['', 'queued', 'sent', 'failed', 'suppressed', 'skipped'];

/** Every message the platform sent or held back, newest first, with opens and clicks from tracking. */
export default function MessagesPage() {
  const [params] = useSearchParams();
  const [profile, setProfile] = useState(params.get('profile') ?? '');
  const [status, setStatus] = useState('');
  const [channel, setChannel] = useState('');
  return (
    <>
      <PageHeader title="Messages" subtitle="What was sent, queued, skipped or failed and why; opens and clicks come from the tracking pixel and links of HTML emails." />
      <Card className="card--flush" testId="messages">
        <div className="toolbar" data-testid="message-filters">
          <label className="field field--inline">
            <span className="field__label">Profile</span>
            <input className="input" aria-label="Profile filter" placeholder="email, phone or id" value={profile} onChange={(e) => setProfile(e.target.value.trim())} />
          </label>
          <label className="field field--inline">
            <span className="field__label">Status</span>
            <select className="input input--auto" aria-label="Status filter" value={status} onChange={(e) => setStatus(e.target.value)}>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s || 'any'}
                </option>
              ))}
            </select>
          </label>
          <label className="field field--inline">
            <span className="field__label">Channel</span>
            <select className="input input--auto" aria-label="Channel filter" value={channel} onChange={(e) => setChannel(e.target.value)}>
              {['', 'email', 'sms', 'push', 'telegram', 'webhook'].map((s) => (
                <option key={s} value={s}>
                  {s || 'any'}
                </option>
              ))}
            </select>
          </label>
        </div>
        <MessagesTable query={{ profile: profile || undefined, status: status || undefined, channel: channel || undefined }} refetchInterval={5000} />
      </Card>
    </>
  );
}
