import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, ApiError } from '../../api/client';
import { useCursorPages } from '../../api/hooks';
import type { Profile } from '../../api/types';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Icon } from '../../components/icons';
import { Badge, Button, Card, Empty, ErrorState, PageHeader, Pager, Spinner, Time } from '../../components/ui';
import { ImportPanel } from './ImportPanel';

const PAGE_SIZE = 20;
type By = 'email' | 'phone' | 'external_id';
const BY_LABEL: Record<By, string> = { email: 'Email', phone: 'Phone', external_id: 'External ID' };

export function displayName(p: Profile): string {
  const first = typeof p.fields.first_name === 'string' ? p.fields.first_name : '';
  const last = typeof p.fields.last_name === 'string' ? p.fields.last_name : '';
  return `${first} ${last}`.trim() || p.email || p.phone || p.external_id || p.id;
}

function SearchForm() {
  const navigate = useNavigate();
  const form = useApiForm({
    initial: { by: 'email' as By, q: '' },
    fieldOf: (path) => (/^(query\.)?(email|phone|external_id)$/.test(path) ? 'q' : undefined),
    validate: (v) => (v.q.trim() ? [] : [{ path: 'q', message: `enter ${BY_LABEL[v.by].toLowerCase()} to look up` }]),
    submit: (v) =>
      api.get<Profile>('/profiles', { [v.by]: v.q.trim() }).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404)
          throw new ApiError({ ...err.problem, errors: [{ path: v.by, message: `no profile has this ${BY_LABEL[v.by].toLowerCase()}` }] });
        throw err;
      }),
    onSuccess: (p) => navigate(`/profiles/${p.id}`),
  });
  return (
    <ApiFormView form={form} className="search-form">
      <Field name="by" label="Find by">
        <select {...form.bind('by')} className="input">
          {(Object.keys(BY_LABEL) as By[]).map((k) => (
            <option key={k} value={k}>
              {BY_LABEL[k]}
            </option>
          ))}
        </select>
      </Field>
      <Field name="q" label="Value">
        <input
          {...form.bind('q')}
          className="input"
          type="search"
          placeholder={form.values.by === 'email' ? 'anna@example.com' : form.values.by === 'phone' ? '+491511234567' : 'crm-1042'}
        />
      </Field>
      <div className="search-form__submit">
        <Button type="submit" variant="primary" busy={form.submitting}>
          <Icon name="search" size={16} /> Search
        </Button>
      </div>
      {form.unplaced.length > 0 && <FormProblem />}
    </ApiFormView>
  );
}

export default function ProfilesPage() {
  const navigate = useNavigate();
  const [showImport, setShowImport] = useState(false);
  const { list, page, hasNext, next, prev } = useCursorPages<Profile>(['profiles', 'list'], '/profiles', {}, PAGE_SIZE);
  return (
    <>
      <PageHeader
        title="Profiles"
        subtitle="Everyone your shop, app and CRM know, with their subscriptions and history."
        actions={
          <Button variant={showImport ? 'secondary' : 'primary'} onClick={() => setShowImport((s) => !s)}>
            <Icon name="upload" size={16} /> {showImport ? 'Close import' : 'Import CSV'}
          </Button>
        }
      />
      {showImport && <ImportPanel />}
      <Card title="Find a profile" testId="profile-search">
        <SearchForm />
      </Card>
      <Card title="All profiles" className="card--flush" testId="profile-list">
        {list.isPending ? (
          <Spinner />
        ) : list.isError ? (
          <ErrorState error={list.error} />
        ) : list.data.items.length === 0 && page === 0 ? (
          <Empty icon={<Icon name="users" size={28} />} title="No profiles yet">
            Profiles arrive through <code>POST /api/v1/profiles</code>, events and CSV imports.
          </Empty>
        ) : (
          <>
            <table className="table table--hover">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Email</th>
                  <th>Phone</th>
                  <th>External ID</th>
                  <th>Email subscription</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((p) => (
                  <tr key={p.id} onClick={() => navigate(`/profiles/${p.id}`)} className="clickable">
                    <td>
                      <Link to={`/profiles/${p.id}`} className="strong" onClick={(e) => e.stopPropagation()}>
                        {displayName(p)}
                      </Link>
                    </td>
                    <td>{p.email ?? <span className="muted">—</span>}</td>
                    <td>{p.phone ?? <span className="muted">—</span>}</td>
                    <td>{p.external_id ? <code>{p.external_id}</code> : <span className="muted">—</span>}</td>
                    <td>{p.subscriptions.email ? <Badge>{p.subscriptions.email}</Badge> : <span className="muted">—</span>}</td>
                    <td>
                      <Time iso={p.updated_at} relative />
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
