import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, ApiError } from '../../api/client';
import { useCursorPages } from '../../api/hooks';
import { toProfileRef } from '../../api/refs';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Empty, ErrorState, Pager, Spinner, Stats, Time } from '../../components/ui';
import type { LedgerEntry, Member, Program } from './api';

function History({ program, member }: { program: Program; member: Member }) {
  const { list, page, hasNext, next, prev } = useCursorPages<LedgerEntry>(['loyalty', program.id, 'member', member.id, 'history'], `/loyalty/programs/${program.id}/members/${member.id}/history`, {}, 20);
  if (list.isPending) return <Spinner />;
  if (list.isError) return <ErrorState error={list.error} />;
  if (!list.data.items.length) return <Empty title="No points movements yet." />;
  return (
    <>
      <table className="table table--compact" data-testid="member-history">
        <thead>
          <tr>
            <th>When</th>
            <th>Kind</th>
            <th className="num">Points</th>
            <th className="num">Balance</th>
            <th>Reason</th>
            <th>Expires</th>
          </tr>
        </thead>
        <tbody>
          {list.data.items.map((e) => (
            <tr key={e.id}>
              <td>
                <Time iso={e.created_at} />
              </td>
              <td>
                <Badge>{e.kind}</Badge>
              </td>
              <td className={`num ${e.points < 0 ? 'neg' : 'pos'}`}>{e.points > 0 ? `+${e.points}` : e.points}</td>
              <td className="num">{e.balance_after}</td>
              <td>
                {e.reason} {e.order_id && <code className="small">{e.order_id}</code>}
              </td>
              <td>
                <Time iso={e.expires_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={page} hasNext={hasNext} onPrev={prev} onNext={next} />
    </>
  );
}

/** Accrue or redeem points for the member shown. */
function PointsForm({ program, member, onDone }: { program: Program; member: Member; onDone: () => void }) {
  const toast = useToast();
  const form = useApiForm({
    initial: { action: 'accrue' as 'accrue' | 'redeem', points: '', reason: '', hold: '' },
    submit: (v) =>
      api.post<{ status: string; balance?: number }>(`/loyalty/programs/${program.id}/${v.action}`, {
        member_id: member.id,
        points: /^\d+$/.test(v.points) ? Number(v.points) : v.points,
        reason: v.reason,
        ...(v.hold ? { hold: v.hold } : {}),
      }),
    onSuccess: (t, v) => {
      toast(`${v.action === 'accrue' ? 'Accrued' : 'Redeemed'} ${v.points} points${t.status === 'held' ? ' (held)' : ''}.`);
      form.reset();
      onDone();
    },
  });
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="action" label="Action">
          <select {...form.bind('action')} className="input">
            <option value="accrue">Accrue points</option>
            <option value="redeem">Redeem points</option>
          </select>
        </Field>
        <Field name="points" label="Points">
          <input {...form.bind('points')} className="input" inputMode="numeric" />
        </Field>
      </div>
      <div className="form__pair">
        <Field name="reason" label="Reason" hint="Shown in the member's history">
          <input {...form.bind('reason')} className="input" placeholder="Goodwill for a late delivery" />
        </Field>
        <Field name="hold" label="Hold for" hint="Optional: a held transaction, committed or rolled back later (PT15M)">
          <input {...form.bind('hold')} className="input" />
        </Field>
      </div>
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Apply
        </Button>
      </div>
    </ApiFormView>
  );
}

function MemberCard({ program, ref_ }: { program: Program; ref_: string }) {
  const client = useQueryClient();
  const member = useQuery({ queryKey: ['loyalty', program.id, 'member', ref_], queryFn: ({ signal }) => api.get<Member>(`/loyalty/programs/${program.id}/members/${encodeURIComponent(ref_)}`, undefined, signal) });
  if (member.isPending) return <Spinner />;
  if (member.isError)
    return member.error instanceof ApiError && member.error.status === 404 ? <Empty title={`${ref_} is not a member of ${program.name}.`}>Register the profile below.</Empty> : <ErrorState error={member.error} />;
  const m = member.data;
  const refresh = () => void client.invalidateQueries({ queryKey: ['loyalty', program.id] });
  return (
    <div className="stack" data-testid="member">
      <div className="row row--between">
        <div>
          <Link to={`/profiles/${m.profile_id}`}>Open the profile</Link> · joined <Time iso={m.joined_at} />
        </div>
        {m.tier && <Badge tone="violet">{m.tier}</Badge>}
      </div>
      <Stats
        items={[
          { label: 'balance', value: <span data-testid="member-balance">{m.balance.toLocaleString()}</span> },
          { label: 'pending', value: m.pending.toLocaleString() },
          { label: 'expiring next', value: m.expiring?.[0] ? `${m.expiring[0].points} on ${new Date(m.expiring[0].expires_at).toLocaleDateString()}` : '—' },
        ]}
      />
      <Card title="Accrue or redeem" testId="points-form">
        <PointsForm program={program} member={m} onDone={refresh} />
      </Card>
      <Card title="History" className="card--flush">
        <History program={program} member={m} />
      </Card>
    </div>
  );
}

/** Find a member by email, phone, member id or profile id; register a profile as a member. */
export function Members({ program }: { program: Program }) {
  const [ref, setRef] = useState<string | null>(null);
  const client = useQueryClient();
  const find = useApiForm({
    initial: { ref: '' },
    validate: (v) => (v.ref.trim() ? [] : [{ path: 'ref', message: 'enter an email, phone, member id or profile id' }]),
    submit: async (v) => v.ref.trim(),
    onSuccess: (r) => setRef(r),
  });
  const join = useApiForm({
    initial: { profile: '' },
    validate: (v) => (v.profile.trim() ? [] : [{ path: 'profile', message: 'enter an email, phone or profile id' }]),
    submit: (v) => api.post<Member>(`/loyalty/programs/${program.id}/members`, { profile: toProfileRef(v.profile) }),
    onSuccess: (m, v) => {
      void client.invalidateQueries({ queryKey: ['loyalty', program.id, 'member'] });
      setRef(m.id);
      find.set('ref', v.profile);
      join.reset();
    },
  });
  return (
    <div className="grid grid--detail">
      <div className="stack">
        <Card title="Find a member" testId="member-find">
          <ApiFormView form={find}>
            <Field name="ref" label="Email, phone, member or profile id">
              <input {...find.bind('ref')} className="input" placeholder="anna@example.com" />
            </Field>
            <div className="form__actions">
              <Button type="submit">Find</Button>
            </div>
          </ApiFormView>
        </Card>
        <Card title="Register a member" testId="member-join">
          <ApiFormView form={join}>
            <Field name="profile" label="Profile" hint="Email, phone (+49…), external id or profile id; welcome points are added">
              <input {...join.bind('profile')} className="input" />
            </Field>
            <FormProblem />
            <div className="form__actions">
              <Button type="submit" variant="primary" busy={join.submitting}>
                Register
              </Button>
            </div>
          </ApiFormView>
        </Card>
      </div>
      <Card title="Member">{ref ? <MemberCard key={ref} program={program} ref_={ref} /> : <p className="muted">Find a member to see the balance and history.</p>}</Card>
    </div>
  );
}
