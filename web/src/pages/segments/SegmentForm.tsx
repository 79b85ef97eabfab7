import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../../api/client';
import { loyaltyKind, ordersKind, rfmKind } from '../../components/conditions/commerce-leaves';
import { ConditionBuilder } from '../../components/conditions/ConditionBuilder';
import { eventKind, fieldKind, PROFILE_FIELDS, segmentKind, subscriptionKind } from '../../components/conditions/leaves';
import type { CondNode } from '../../components/conditions/tree';
import { ApiFormView, Field, FormProblem, useApiForm } from '../../components/form';
import { useToast } from '../../components/toast';
import { Button } from '../../components/ui';
import { useAllPrograms } from '../loyalty/api';
import { useAllSegments, type Segment } from './api';

const EMPTY: CondNode = { all: [{ field: 'fields.city', op: 'eq', value: '' }] };

/** The segment leaves the API accepts: profile fields, events, subscriptions, orders, loyalty, RFM scores, other segments. */
export function useSegmentKinds(exclude?: string) {
  const segments = useAllSegments();
  const programs = useAllPrograms();
  return useMemo(
    () => [
      fieldKind({ fields: PROFILE_FIELDS }),
      eventKind(),
      subscriptionKind,
      ordersKind,
      loyaltyKind(programs.data?.items ?? []),
      rfmKind,
      segmentKind((segments.data?.items ?? []).filter((s) => s.id !== exclude)),
    ],
    [segments.data, programs.data, exclude],
  );
}

/** How many profiles the conditions being edited match now (POST /segments/count), a moment after the last change. */
function PreviewCount({ conditions }: { conditions: CondNode }) {
  const text = JSON.stringify(conditions);
  const [settled, setSettled] = useState(text);
  useEffect(() => {
    const t = setTimeout(() => setSettled(text), 400);
    return () => clearTimeout(t);
  }, [text]);
  const count = useQuery({
    queryKey: ['segments', 'preview-count', settled],
    queryFn: () => api.post<{ count: number }>('/segments/count', { conditions: JSON.parse(settled) as unknown }),
    placeholderData: keepPreviousData,
    staleTime: 5000,
  });
  const refused = count.error instanceof ApiError && count.error.status === 400;
  return (
    <div className="live-count live-count--inline" data-testid="segment-preview">
      <span className="live-count__value" data-testid="segment-preview-count">
        {refused ? '—' : count.data && !count.isPlaceholderData ? count.data.count.toLocaleString() : '…'}
      </span>{' '}
      <span className="muted small">{refused ? 'the conditions need a fix before they can be counted' : 'profiles match these conditions now'}</span>
    </div>
  );
}

/** Create a segment, or rename / change the conditions of one. */
export function SegmentForm({ segment, onSaved }: { segment?: Segment; onSaved?: (s: Segment) => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const kinds = useSegmentKinds(segment?.id);
  const form = useApiForm({
    initial: {
      name: segment?.name ?? '',
      description: segment?.description ?? '',
      type: segment?.type ?? ('dynamic' as Segment['type']),
      snapshot: false,
      conditions: segment?.conditions ?? EMPTY,
    },
    submit: (v) => {
      const withConditions = v.type === 'dynamic' || v.snapshot;
      if (segment)
        return api.patch<Segment>(`/segments/${segment.id}`, {
          name: v.name,
          description: v.description || null,
          ...(segment.type === 'dynamic' ? { conditions: v.conditions } : {}),
        });
      return api.post<Segment>('/segments', { name: v.name, description: v.description || null, type: v.type, ...(withConditions ? { conditions: v.conditions } : {}) });
    },
    onSuccess: (s) => {
      toast(segment ? `Segment “${s.name}” saved.` : `Segment “${s.name}” created.`);
      void client.invalidateQueries({ queryKey: ['segments'] });
      onSaved?.(s);
    },
  });
  const showConditions = form.values.type === 'dynamic' || (!segment && form.values.snapshot);
  return (
    <ApiFormView form={form}>
      <div className="form__pair">
        <Field name="name" label="Name">
          <input {...form.bind('name')} className="input" placeholder="Active Berlin" />
        </Field>
        <Field name="type" label="Type" hint={segment ? 'The type is fixed once created.' : 'Dynamic follows its conditions; static is a list you keep.'}>
          <select {...form.bind('type')} className="input" disabled={Boolean(segment)}>
            <option value="dynamic">dynamic — follows conditions</option>
            <option value="static">static — a list of profiles</option>
          </select>
        </Field>
      </div>
      <Field name="description" label="Description">
        <input {...form.bind('description')} className="input" placeholder="Optional" />
      </Field>
      {!segment && form.values.type === 'static' && (
        <label className="check">
          <input type="checkbox" checked={form.values.snapshot} onChange={(e) => form.set('snapshot', e.target.checked)} /> Start with a snapshot of who matches these conditions now
        </label>
      )}
      {showConditions && (
        <div className="field">
          <div className="field__label">Conditions</div>
          <ConditionBuilder value={form.values.conditions} onChange={(c) => form.set('conditions', c)} kinds={kinds} errors={form.errorsAt('conditions')} />
          <PreviewCount conditions={form.values.conditions} />
        </div>
      )}
      <FormProblem />
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          {segment ? 'Save segment' : 'Create segment'}
        </Button>
      </div>
    </ApiFormView>
  );
}
