import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError } from '../../api/client';
import { Button, Card, ErrorState } from '../../components/ui';
import { useAllPrograms, usePromotions } from '../loyalty/api';
import { useAllPools } from '../promo/api';
import { useAllSegments } from '../segments/api';
import type { Scenario, ScenarioTemplate } from './api';
import { placeholdersOf, type Placeholder } from './placeholders';

const KIND_LABEL: Record<Placeholder['kind'], string> = { tpl: 'Message', pool: 'Promo code pool', program: 'Loyalty program', segment: 'Segment', promotion: 'Promotion' };

/**
 * Before a classic opens on the canvas: the pools, programs, segments and promotions it needs are picked
 * (what is left unpicked is chosen later on its step), then POST /scenarios {from_template, template_refs}
 * creates the draft together with its sample messages.
 */
export function TemplateSetup({ template }: { template: ScenarioTemplate & { placeholders?: string[] } }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const needs = placeholdersOf(template.nodes).filter((p) => p.kind !== 'tpl');
  const samples = template.sample_templates ?? [];
  const pools = useAllPools();
  const programs = useAllPrograms();
  const segments = useAllSegments();
  const [refs, setRefs] = useState<Record<string, string>>({});
  const programId = Object.entries(refs).find(([k]) => k.startsWith('program:'))?.[1] ?? programs.data?.items[0]?.id;
  const promotions = usePromotions(needs.some((p) => p.kind === 'promotion') ? programId : undefined);
  const options = (p: Placeholder): { id: string; name: string }[] => {
    if (p.kind === 'pool') return (pools.data?.items ?? []).map((x) => ({ id: x.id, name: x.name }));
    if (p.kind === 'program') return (programs.data?.items ?? []).map((x) => ({ id: x.id, name: x.name }));
    if (p.kind === 'segment') return (segments.data?.items ?? []).map((x) => ({ id: x.id, name: x.name }));
    if (p.kind === 'promotion') return (promotions.data?.items ?? []).map((x) => ({ id: x.id, name: x.name }));
    return [];
  };
  const create = useMutation({
    mutationFn: () =>
      api.post<Scenario>('/scenarios', {
        from_template: template.key ?? template.id,
        template_refs: Object.fromEntries(Object.entries(refs).filter(([, v]) => v)),
      }),
    onSuccess: (s) => {
      void client.invalidateQueries({ queryKey: ['scenarios'] });
      void client.invalidateQueries({ queryKey: ['templates'] });
      navigate(`/scenarios/${s.id}`);
    },
  });
  return (
    <Card title={`Set up “${template.name}”`} testId="template-setup">
      {template.description && <p className="muted">{template.description}</p>}
      {samples.length > 0 && (
        <>
          <div className="section-title">Messages created with it (edit them under Templates)</div>
          <ul className="small" data-testid="template-samples">
            {samples.map((s) => (
              <li key={s.key}>
                {s.name} <span className="muted">({s.channel})</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {needs.length > 0 && (
        <table className="table table--compact">
          <thead>
            <tr>
              <th>It needs</th>
              <th>Use</th>
            </tr>
          </thead>
          <tbody>
            {needs.map((p) => (
              <tr key={p.text} data-placeholder={p.text}>
                <td>
                  {KIND_LABEL[p.kind]} <code className="small">{p.key}</code>
                </td>
                <td>
                  <select className="input" aria-label={`${KIND_LABEL[p.kind]} ${p.key}`} value={refs[p.text] ?? ''} onChange={(e) => setRefs((r) => ({ ...r, [p.text]: e.target.value }))}>
                    <option value="">Choose later on the step…</option>
                    {options(p).map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.name}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {create.isError && <ErrorState error={create.error instanceof ApiError ? create.error : new Error(String(create.error))} />}
      <div className="form__actions">
        <Button variant="primary" busy={create.isPending} onClick={() => create.mutate()}>
          Create from this template
        </Button>
      </div>
    </Card>
  );
}
