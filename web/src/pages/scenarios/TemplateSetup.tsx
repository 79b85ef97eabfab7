import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError } from '../../api/client';
import { Button, Card, ErrorState } from '../../components/ui';
import { useAllPrograms } from '../loyalty/api';
import { useAllPools } from '../promo/api';
import { useAllSegments } from '../segments/api';
import { useAllTemplates, type Template } from '../templates/api';
import type { ScenarioTemplate } from './api';
import { placeholdersOf, substitute, type Placeholder } from './placeholders';
import type { Draft } from './ScenarioEditor';

const KIND_LABEL: Record<Placeholder['kind'], string> = { tpl: 'Message', pool: 'Promo code pool', program: 'Loyalty program', segment: 'Segment', promotion: 'Promotion' };
const CREATE = '__create__';

/**
 * Before a classic template opens on the canvas: its sample messages are created (or existing templates
 * chosen instead), and the pools, programs and segments it needs are picked. What is left unpicked stays
 * empty on its step, to be chosen there.
 */
export function TemplateSetup({ template, onReady }: { template: ScenarioTemplate; onReady: (d: Draft) => void }) {
  const placeholders = placeholdersOf(template.nodes);
  const samples = template.sample_templates ?? [];
  const templates = useAllTemplates();
  const pools = useAllPools();
  const programs = useAllPrograms();
  const segments = useAllSegments();
  const [choice, setChoice] = useState<Record<string, string>>(() =>
    Object.fromEntries(placeholders.filter((p) => p.kind === 'tpl' && samples.some((s) => s.key === p.key)).map((p) => [p.text, CREATE])),
  );
  const options = (p: Placeholder): { id: string; name: string }[] => {
    if (p.kind === 'tpl') return (templates.data?.items ?? []).map((t) => ({ id: t.id, name: `${t.name} (${t.channel})` }));
    if (p.kind === 'pool') return (pools.data?.items ?? []).map((x) => ({ id: x.id, name: x.name }));
    if (p.kind === 'program') return (programs.data?.items ?? []).map((x) => ({ id: x.id, name: x.name }));
    if (p.kind === 'segment') return (segments.data?.items ?? []).map((x) => ({ id: x.id, name: x.name }));
    return [];
  };
  const prepare = useMutation({
    mutationFn: async () => {
      const ids: Record<string, string | undefined> = {};
      for (const p of placeholders) {
        const c = choice[p.text];
        if (c === CREATE) {
          const s = samples.find((x) => x.key === p.key)!;
          const created = await api.post<Template>('/templates', { name: s.name, channel: s.channel, ...(s.subject ? { subject: s.subject } : {}), body: s.body });
          ids[p.text] = created.id;
        } else ids[p.text] = c || undefined;
      }
      return ids;
    },
    onSuccess: (ids) => onReady({ name: template.name, description: template.description ?? '', settings: template.settings ?? { reentry: 'new_instance' }, nodes: substitute(template.nodes, ids) }),
  });
  return (
    <Card title={`Set up “${template.name}”`} testId="template-setup">
      {template.description && <p className="muted">{template.description}</p>}
      {placeholders.length === 0 ? (
        <p className="muted small">This template needs nothing from the installation.</p>
      ) : (
        <table className="table table--compact">
          <thead>
            <tr>
              <th>Needs</th>
              <th>Use</th>
            </tr>
          </thead>
          <tbody>
            {placeholders.map((p) => {
              const sample = p.kind === 'tpl' ? samples.find((s) => s.key === p.key) : undefined;
              return (
                <tr key={p.text} data-placeholder={p.text}>
                  <td>
                    {KIND_LABEL[p.kind]} <code className="small">{p.key}</code>
                  </td>
                  <td>
                    <select className="input" aria-label={`${KIND_LABEL[p.kind]} ${p.key}`} value={choice[p.text] ?? ''} onChange={(e) => setChoice((c) => ({ ...c, [p.text]: e.target.value }))}>
                      <option value="">Choose later on the step…</option>
                      {sample && <option value={CREATE}>Create “{sample.name}” ({sample.channel})</option>}
                      {options(p).map((o) => (
                        <option key={o.id} value={o.id}>
                          {o.name}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {prepare.isError && <ErrorState error={prepare.error instanceof ApiError ? prepare.error : new Error(String(prepare.error))} />}
      <div className="form__actions">
        <Button variant="primary" busy={prepare.isPending} onClick={() => prepare.mutate()}>
          Open on the canvas
        </Button>
      </div>
    </Card>
  );
}
