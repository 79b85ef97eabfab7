import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../../api/client';
import { useCursorPages } from '../../api/hooks';
import { toProfileRef } from '../../api/refs';
import type { Profile } from '../../api/types';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, PageHeader, Pager, Spinner, Time } from '../../components/ui';
import { displayName } from '../profiles/ProfilesPage';
import { useSegmentCount, type MembersResult, type Segment } from './api';
import { SegmentForm } from './SegmentForm';

function LiveCount({ id }: { id: string }) {
  const c = useSegmentCount(id, 5000);
  return (
    <div className="live-count" data-testid="segment-count">
      <div className="live-count__value">{c.data ? c.data.count.toLocaleString() : '…'}</div>
      <div className="muted small">
        profiles now {c.isFetching ? <span className="spinner spinner--tiny" aria-hidden /> : <span className="live-dot" title="Refreshed every 5 seconds" />}
      </div>
    </div>
  );
}

function Members({ segment }: { segment: Segment }) {
  const navigate = useNavigate();
  const { list, page, hasNext, next, prev } = useCursorPages<Profile>(['segments', segment.id, 'profiles'], `/segments/${segment.id}/profiles`, {}, 20);
  if (list.isPending) return <Spinner />;
  if (list.isError) return <ErrorState error={list.error} />;
  if (!list.data.items.length && page === 0) return <Empty title="Nobody is in this segment right now." />;
  return (
    <>
      <table className="table table--hover">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Phone</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {list.data.items.map((p) => (
            <tr key={p.id} className="clickable" onClick={() => navigate(`/profiles/${p.id}`)}>
              <td className="strong">{displayName(p)}</td>
              <td>{p.email ?? '—'}</td>
              <td>{p.phone ?? '—'}</td>
              <td>
                <Time iso={p.updated_at} relative />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
    </>
  );
}

function MembersResultView({ r }: { r: MembersResult }) {
  return (
    <div className="alert alert--success" data-testid="members-result">
      {r.added !== undefined ? `${r.added} added` : `${r.removed} removed`}, {r.unchanged} unchanged, {r.failed} failed
      {r.errors.length > 0 && (
        <ul>
          {r.errors.slice(0, 50).map((e, i) => (
            <li key={i}>
              {e.row !== undefined ? `row ${e.row}` : `line ${(e.index ?? 0) + 1}`}: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Static segments: add or remove people by email / phone / id, one a line, or from a CSV file. */
function EditMembers({ segment }: { segment: Segment }) {
  const client = useQueryClient();
  const [result, setResult] = useState<MembersResult | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const done = (r: MembersResult) => {
    setResult(r);
    void client.invalidateQueries({ queryKey: ['segments', segment.id] });
  };
  const form = useApiForm({
    initial: { people: '', mode: 'add' as 'add' | 'remove' },
    validate: (v) => (v.people.trim() ? [] : [{ path: 'people', message: 'enter at least one email, phone or profile id' }]),
    fieldOf: (path) => (/^(body\.)?(profiles|people)/.test(path) ? 'people' : undefined),
    submit: (v) => {
      const profiles = v.people.split('\n').map((l) => l.trim()).filter(Boolean).map(toProfileRef);
      const path = `/segments/${segment.id}/members`;
      return v.mode === 'add' ? api.post<MembersResult>(path, { profiles }) : api.deleteWith<MembersResult>(path, { profiles });
    },
    onSuccess: (r) => {
      done(r);
      form.set('people', '');
    },
  });
  const upload = useMutation({
    mutationFn: () => api.upload<MembersResult>(`/segments/${segment.id}/members`, new Blob([file!], { type: 'text/csv' })),
    onSuccess: done,
  });
  return (
    <div className="stack">
      <ApiFormView form={form}>
        <Field name="people" label="People" hint="One email, phone (+49…), external id or profile id a line">
          <textarea {...form.bind('people')} className="input input--mono" rows={4} placeholder={'anna@example.com\n+491511234567'} />
        </Field>
        <FormProblem />
        <div className="form__actions">
          <select {...form.bind('mode')} className="input input--auto" aria-label="Add or remove">
            <option value="add">Add them</option>
            <option value="remove">Remove them</option>
          </select>
          <Button type="submit" variant="primary" busy={form.submitting}>
            Apply
          </Button>
        </div>
      </ApiFormView>
      <div className="form form--row">
        <div className="field">
          <label className="field__label" htmlFor="segment-csv">
            Or upload a CSV
          </label>
          <input id="segment-csv" type="file" accept=".csv,text/csv" className="input" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          <div className="field__hint">A column id, email, phone or external_id; each row is added.</div>
        </div>
        <div className="form__actions">
          <Button disabled={!file} busy={upload.isPending} onClick={() => upload.mutate()}>
            Upload CSV
          </Button>
        </div>
      </div>
      {upload.isError && <ErrorState error={upload.error} />}
      {result && <MembersResultView r={result} />}
    </div>
  );
}

function DeleteSegment({ segment }: { segment: Segment }) {
  const navigate = useNavigate();
  const toast = useToast();
  const client = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const del = useMutation({
    mutationFn: () => api.delete(`/segments/${segment.id}`),
    onSuccess: () => {
      toast(`Segment “${segment.name}” deleted.`);
      void client.invalidateQueries({ queryKey: ['segments'] });
      navigate('/segments');
    },
    onError: (e) => toast(e.message, 'error'),
  });
  return confirm ? (
    <span className="confirm">
      <Button variant="danger" busy={del.isPending} onClick={() => del.mutate()}>
        Delete for good
      </Button>
      <Button variant="ghost" onClick={() => setConfirm(false)}>
        Cancel
      </Button>
    </span>
  ) : (
    <Button variant="ghost" onClick={() => setConfirm(true)}>
      Delete
    </Button>
  );
}

export default function SegmentDetail() {
  const { id = '' } = useParams();
  const seg = useQuery({ queryKey: ['segments', id], queryFn: ({ signal }) => api.get<Segment>(`/segments/${id}`, undefined, signal) });
  const back = <Link to="/segments">← Segments</Link>;
  if (seg.isPending) return <Spinner />;
  if (seg.isError)
    return (
      <>
        <PageHeader title="Segment" back={back} />
        {seg.error instanceof ApiError && seg.error.status === 404 ? <Empty title="This segment does not exist." /> : <ErrorState error={seg.error} />}
      </>
    );
  const s = seg.data;
  return (
    <>
      <PageHeader
        back={back}
        title={s.name}
        subtitle={
          <>
            <Badge>{s.type}</Badge> {s.description} · updated <Time iso={s.updated_at} relative />
          </>
        }
        actions={<DeleteSegment segment={s} />}
      />
      <div className="grid grid--aside">
        <Card title={s.type === 'dynamic' ? 'Conditions' : 'Segment'} testId="segment-form">
          <SegmentForm key={s.updated_at} segment={s} />
        </Card>
        <div className="stack">
          <Card title="Live count">
            <LiveCount id={s.id} />
          </Card>
          {s.type === 'static' && (
            <Card title="Members" testId="segment-members-edit">
              <EditMembers segment={s} />
            </Card>
          )}
        </div>
      </div>
      <Card title="Profiles in the segment" className="card--flush" testId="segment-profiles">
        <Members segment={s} />
      </Card>
    </>
  );
}
