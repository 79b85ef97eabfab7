import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link, Route, Routes, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, ApiError, type Page } from '../../api/client';
import { PageFallback } from '../../components/auth';
import { Icon } from '../../components/icons';
import { Badge, Button, Card, Empty, ErrorState, PageHeader, Spinner, Time } from '../../components/ui';
import { listScenarios, type Scenario, type ScenarioTemplate } from './api';
import type { Draft } from './ScenarioEditor';
import { TemplateSetup } from './TemplateSetup';

// The canvas (React Flow, dagre) is its own chunk: the scenario list does not load it.
const ScenarioEditor = lazy(() => import('./ScenarioEditor'));

const BLANK: Draft = { name: 'New scenario', description: '', settings: { reentry: 'new_instance' }, nodes: [] };

const templateKey = (t: ScenarioTemplate, i: number) => t.id ?? t.key ?? String(i);

const missing = (e: unknown) => e instanceof ApiError && e.status === 404;

function useTemplates() {
  return useQuery({
    queryKey: ['scenario-templates'],
    queryFn: ({ signal }) => api.get<Page<ScenarioTemplate> | ScenarioTemplate[]>('/scenario-templates', undefined, signal).then((r) => (Array.isArray(r) ? r : r.items)),
    staleTime: Infinity,
  });
}

function ScenarioList() {
  const navigate = useNavigate();
  const scenarios = useQuery({ queryKey: ['scenarios', 'list'], queryFn: ({ signal }) => listScenarios(signal) });
  const templates = useTemplates();
  return (
    <>
      <PageHeader
        title="Scenarios"
        subtitle="Customer journeys: a start point, then waits, conditions, messages and rewards, drawn on a canvas."
        actions={
          <Button variant="primary" onClick={() => navigate('/scenarios/new')}>
            Create new scenario
          </Button>
        }
      />
      <div className="grid grid--aside">
        <Card className="card--flush" testId="scenario-list">
          {scenarios.isPending ? (
            <Spinner />
          ) : scenarios.isError ? (
            missing(scenarios.error) ? (
              <Empty icon={<Icon name="flow" size={28} />} title="This server has no scenario API yet">
                GET /api/v1/scenarios answered 404. The editor opens, but cannot save until the server has it.
              </Empty>
            ) : (
              <ErrorState error={scenarios.error} />
            )
          ) : scenarios.data.items.length === 0 ? (
            <Empty icon={<Icon name="flow" size={28} />} title="No scenarios yet" />
          ) : (
            <table className="table table--hover">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Version</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {scenarios.data.items.map((s) => (
                  <tr key={s.id} className="clickable" data-scenario={s.name} onClick={() => navigate(`/scenarios/${s.id}`)}>
                    <td className="strong">
                      <Link to={`/scenarios/${s.id}`} onClick={(e) => e.stopPropagation()}>
                        {s.name}
                      </Link>
                    </td>
                    <td>
                      <Badge>{s.status}</Badge>
                    </td>
                    <td className="num">{s.version}</td>
                    <td>
                      <Time iso={s.updated_at} relative />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="Start from a classic" testId="scenario-templates">
          {templates.isPending ? (
            <Spinner />
          ) : templates.isError ? (
            <p className="muted small">{missing(templates.error) ? 'No classic templates on this server yet (GET /scenario-templates answered 404).' : String(templates.error)}</p>
          ) : (
            <div className="stack stack--tight">
              {templates.data.map((t, i) => (
                <button type="button" key={templateKey(t, i)} className="template-pick" data-template={templateKey(t, i)} onClick={() => navigate(`/scenarios/new?template=${encodeURIComponent(templateKey(t, i))}`)}>
                  <strong>{t.name}</strong>
                  {t.description && <span className="muted small">{t.description}</span>}
                </button>
              ))}
            </div>
          )}
        </Card>
      </div>
    </>
  );
}

function NewScenario() {
  const [params] = useSearchParams();
  const templates = useTemplates();
  const key = params.get('template');
  if (key && templates.isPending) return <Spinner />;
  const t = key ? templates.data?.find((x, i) => templateKey(x, i) === key) : undefined;
  return (
    <>
      <PageHeader title="New scenario" back={<Link to="/scenarios">← Scenarios</Link>} />
      {t ? (
        <TemplateSetup template={t} />
      ) : (
        <Suspense fallback={<PageFallback />}>
          <ScenarioEditor initial={BLANK} />
        </Suspense>
      )}
    </>
  );
}

function EditScenario() {
  const { id = '' } = useParams();
  const s = useQuery({ queryKey: ['scenarios', id], queryFn: ({ signal }) => api.get<Scenario>(`/scenarios/${id}`, undefined, signal) });
  if (s.isPending) return <Spinner />;
  if (s.isError) return <ErrorState error={s.error} />;
  const sc = s.data;
  return (
    <>
      <PageHeader title={sc.name} back={<Link to="/scenarios">← Scenarios</Link>} />
      <Suspense fallback={<PageFallback />}>
        <ScenarioEditor scenario={sc} initial={{ name: sc.name, description: sc.description ?? '', settings: sc.settings, nodes: sc.nodes }} />
      </Suspense>
    </>
  );
}

export default function ScenariosPage() {
  return (
    <Routes>
      <Route index element={<ScenarioList />} />
      <Route path="new" element={<NewScenario />} />
      <Route path=":id" element={<EditScenario />} />
    </Routes>
  );
}
