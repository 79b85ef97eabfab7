import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Page } from '../../api/client';
import type { CreatedToken, Scope, Token } from '../../api/types';
import { useAuth } from '../../components/auth';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { Icon } from '../../components/icons';
import { Badge, Button, Card, CopyButton, Empty, ErrorState, PageHeader, Spinner, Time } from '../../components/ui';
import { useToast } from '../../components/toast';

const SCOPES: { scope: Scope; text: string }[] = [
  { scope: 'read', text: 'Look up profiles, reports and lists' },
  { scope: 'write', text: 'Send events, upsert profiles, check out orders' },
  { scope: 'admin', text: 'Everything, including tokens and settings' },
];

function CreateTokenForm({ onCreated }: { onCreated: (t: CreatedToken) => void }) {
  const client = useQueryClient();
  const form = useApiForm({
    initial: { name: '', scopes: ['write'] as Scope[] },
    submit: (v) => api.post<CreatedToken>('/tokens', { name: v.name, scopes: v.scopes }),
    onSuccess: (t) => {
      onCreated(t);
      form.reset();
      void client.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  const toggle = (s: Scope) => form.set('scopes', form.values.scopes.includes(s) ? form.values.scopes.filter((x) => x !== s) : [...form.values.scopes, s]);
  return (
    <ApiFormView form={form}>
      <Field name="name" label="Name" hint="Who or what uses it: “Shop checkout”, “CRM sync”">
        <input {...form.bind('name')} className="input" autoComplete="off" placeholder="Shop checkout" />
      </Field>
      <Field name="scopes" label="Scopes">
        <div className="checks" id={`${form.id}-scopes`} role="group" aria-invalid={form.errorsOf('scopes').length > 0}>
          {SCOPES.map(({ scope, text }) => (
            <label key={scope} className="check">
              <input type="checkbox" name="scopes" value={scope} checked={form.values.scopes.includes(scope)} onChange={() => toggle(scope)} />
              <span>
                <Badge>{scope}</Badge> <span className="muted">{text}</span>
              </span>
            </label>
          ))}
        </div>
      </Field>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Create token
        </Button>
      </div>
    </ApiFormView>
  );
}

function DeleteButton({ token, isMine }: { token: Token; isMine: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const client = useQueryClient();
  const toast = useToast();
  const del = useMutation({
    mutationFn: () => api.delete(`/tokens/${token.id}`),
    onSuccess: () => {
      toast(`Token "${token.name}" deleted.`);
      void client.invalidateQueries({ queryKey: ['tokens'] });
    },
    onError: (e) => toast(e.message, 'error'),
  });
  if (!confirming)
    return (
      <Button variant="ghost" onClick={() => setConfirming(true)} aria-label={`Delete ${token.name}`}>
        Delete
      </Button>
    );
  return (
    <span className="confirm">
      <span className="small">{isMine ? 'This signs you out. Delete?' : 'Delete for good?'}</span>
      <Button variant="danger" busy={del.isPending} onClick={() => del.mutate()}>
        Delete
      </Button>
      <Button variant="ghost" onClick={() => setConfirming(false)}>
        Cancel
      </Button>
    </span>
  );
}

export default function TokensPage() {
  const { me } = useAuth();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: ({ signal }) => api.get<Page<Token>>('/tokens', { limit: 1000 }, signal) });
  return (
    <>
      <PageHeader title="API tokens" subtitle="Tokens let shops, apps and scripts call the API. Only a hash is stored: a token's value is shown once, when it is created." />
      {created && (
        <div className="alert alert--success reveal" data-testid="new-token">
          <div>
            <strong>Token “{created.name}” created.</strong> Copy it now — it will not be shown again.
          </div>
          <div className="reveal__value">
            <code data-testid="new-token-value">{created.token}</code>
            <CopyButton text={created.token} />
            <Button variant="ghost" onClick={() => setCreated(null)}>
              Done
            </Button>
          </div>
        </div>
      )}
      <div className="grid grid--aside">
        <Card title="Tokens" className="card--flush" testId="token-list">
          {tokens.isPending ? (
            <Spinner />
          ) : tokens.isError ? (
            <ErrorState error={tokens.error} />
          ) : tokens.data.items.length === 0 ? (
            <Empty icon={<Icon name="key" size={28} />} title="No tokens" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Scopes</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {tokens.data.items.map((t) => (
                  <tr key={t.id} data-token={t.name}>
                    <td className="strong">
                      {t.name} {me?.id === t.id && <Badge tone="green">you</Badge>}
                    </td>
                    <td>
                      <span className="badges">
                        {t.scopes.map((s) => (
                          <Badge key={s}>{s}</Badge>
                        ))}
                      </span>
                    </td>
                    <td>
                      <Time iso={t.created_at} />
                    </td>
                    <td>{t.last_used_at ? <Time iso={t.last_used_at} relative /> : <span className="muted">never</span>}</td>
                    <td className="actions">
                      <DeleteButton token={t} isMine={me?.id === t.id} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="New token" testId="token-create">
          <CreateTokenForm onCreated={setCreated} />
        </Card>
      </div>
    </>
  );
}
