import '@xyflow/react/dist/style.css';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Background, Controls, MarkerType, ReactFlow, ReactFlowProvider, useReactFlow, type Connection, type Edge, type EdgeChange, type NodeChange } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, type FieldError } from '../../api/client';
import { toProfileRef } from '../../api/refs';
import { Chart } from '../../components/Chart';
import { Icon } from '../../components/icons';
import { useToast } from '../../components/toast';
import { Badge, Button, Card, Modal } from '../../components/ui';
import type { Scenario, ScenarioNode, ScenarioSettings, ScenarioStats, TraceStep } from './api';
import { BUILT_IN, GROUPS, isTrigger, mergeServerTypes, paletteOf, type NodeType } from './catalogue';
import { FlowNode, type FlowNodeType } from './FlowNode';
import { Instances } from './Instances';
import { LaunchCard } from './LaunchCard';
import { connect, insertOnEdge, layout, newId, NODE_H, NODE_W, nodeOfFault, outputsOf, removeNode, summaryOf } from './graph';
import { NodeForm } from './NodeForm';
import { SettingsForm } from './SettingsForm';

const nodeTypes = { step: FlowNode };
const DRAG_TYPE = 'application/x-retenta-node';

export interface Draft {
  name: string;
  description: string;
  settings: ScenarioSettings;
  nodes: ScenarioNode[];
}

/** Node types: the server's schemas when it serves them (GET /scenario-node-types), else the built-in ones. */
function useNodeTypes() {
  const q = useQuery({
    queryKey: ['scenario-node-types'],
    queryFn: ({ signal }) => api.get<unknown>('/scenario-node-types', undefined, signal).catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e))),
    staleTime: Infinity,
  });
  return useMemo(() => (q.data ? mergeServerTypes(q.data) : BUILT_IN), [q.data]);
}

/** Order of the steps from the start points (breadth first), for the funnel. */
function stepOrder(nodes: ScenarioNode[], types: Map<string, NodeType>): ScenarioNode[] {
  const seen = new Set<string>();
  const out: ScenarioNode[] = [];
  const queue = nodes.filter((n) => isTrigger(n.type));
  while (queue.length) {
    const n = queue.shift()!;
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    out.push(n);
    for (const o of outputsOf(n, types.get(n.type))) {
      const t = nodes.find((m) => m.id === o.target);
      if (t) queue.push(t);
    }
  }
  return [...out, ...nodes.filter((n) => !seen.has(n.id))];
}

function Canvas({ scenario, initial }: { scenario?: Scenario; initial: Draft & { layout?: Record<string, { x: number; y: number }> } }) {
  const flow = useReactFlow();
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  const types = useNodeTypes();
  const typeMap = useMemo(() => new Map(types.map((t) => [t.type, t])), [types]);
  const palette = useMemo(() => paletteOf(types), [types]);
  const [draft, setDraft] = useState<Draft>(initial);
  const [positions, setPositions] = useState<Record<string, { x: number; y: number }>>(() => initial.layout ?? layout(initial.nodes, typeMap));
  const [selected, setSelected] = useState<string | null>(null);
  const [faults, setFaults] = useState<FieldError[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [showSettings, setShowSettings] = useState(false);
  const [over, setOver] = useState(false);
  const [trace, setTrace] = useState<TraceStep[] | null>(null);
  const [replayAt, setReplayAt] = useState<number | null>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  const created = useRef<Scenario | null>(null);

  const stats = useQuery({
    queryKey: ['scenarios', scenario?.id, 'stats'],
    queryFn: ({ signal }) => api.get<ScenarioStats>(`/scenarios/${scenario!.id}/stats`, undefined, signal),
    enabled: Boolean(scenario),
    refetchInterval: 2000,
  });
  const versions = useQuery({
    queryKey: ['scenarios', scenario?.id, 'versions'],
    queryFn: ({ signal }) => api.get<{ items: { version: number; created_at?: string; status?: string }[] }>(`/scenarios/${scenario!.id}/versions`, undefined, signal).catch(() => null),
    enabled: Boolean(scenario),
  });

  const nodeFaults = useMemo(() => {
    const m = new Map<string, FieldError[]>();
    for (const f of faults) {
      const id = nodeOfFault(f as FieldError & { node_id?: string }, draft.nodes);
      if (!id) continue;
      const idx = draft.nodes.findIndex((n) => n.id === id);
      const rel = f.path.replace(/^body\./, '').replace(new RegExp(`^nodes\\.(${idx}|${id})\\.(config\\.)?`), '').replace(new RegExp(`^nodes\\.(${idx}|${id})$`), '');
      // On its own node a fault need not name the node again (`node send_1: must be …`).
      (m.get(id) ?? m.set(id, []).get(id)!).push({ path: rel, message: f.message.replace(new RegExp(`^node ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), '') });
    }
    return m;
  }, [faults, draft.nodes]);
  const unplacedFaults = faults.filter((f) => !nodeOfFault(f as FieldError & { node_id?: string }, draft.nodes));
  const activeNode = replayAt !== null && trace ? trace[replayAt]?.node_id : null;

  const flowNodes: FlowNodeType[] = draft.nodes.map((n) => {
    const t = typeMap.get(n.type);
    return {
      id: n.id,
      type: 'step',
      position: positions[n.id] ?? { x: 0, y: 0 },
      selected: n.id === selected,
      data: {
        id: n.id,
        type: n.type,
        label: t?.label ?? n.type,
        icon: t?.icon ?? 'flow',
        summary: summaryOf(n),
        outputs: outputsOf(n, t),
        terminal: Boolean(t?.terminal),
        stats: stats.data?.nodes[n.id],
        faults: (nodeFaults.get(n.id) ?? []).map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)),
        active: activeNode === n.id,
      },
    };
  });
  const edges: Edge[] = draft.nodes.flatMap((n) =>
    outputsOf(n, typeMap.get(n.type))
      .filter((o) => o.target && draft.nodes.some((m) => m.id === o.target))
      .map((o) => {
        const count = o.handle === 'next' ? undefined : stats.data?.nodes[n.id]?.branches?.[o.handle];
        return {
          id: `${n.id}:${o.handle}`,
          source: n.id,
          sourceHandle: o.handle,
          target: o.target!,
          label: o.handle === 'next' ? undefined : count !== undefined ? `${o.handle} · ${count}` : o.handle,
          markerEnd: { type: MarkerType.ArrowClosed },
          data: { handle: o.handle },
        };
      }),
  );

  const update = (nodes: ScenarioNode[]) => setDraft((d) => ({ ...d, nodes }));

  const onNodesChange = useCallback((changes: NodeChange<FlowNodeType>[]) => {
    for (const c of changes) {
      if (c.type === 'position' && c.position) setPositions((p) => ({ ...p, [c.id]: c.position! }));
      if (c.type === 'select' && c.selected) setSelected(c.id);
      if (c.type === 'remove') {
        setDraft((d) => ({ ...d, nodes: removeNode(d.nodes, c.id) }));
        setSelected((s) => (s === c.id ? null : s));
      }
    }
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes)
      if (c.type === 'remove') {
        const [source, handle] = c.id.split(':');
        setDraft((d) => ({ ...d, nodes: connect(d.nodes, source, handle, undefined) }));
      }
  }, []);
  const onConnect = useCallback((c: Connection) => {
    if (c.source && c.target && c.source !== c.target) setDraft((d) => ({ ...d, nodes: connect(d.nodes, c.source, c.sourceHandle ?? 'next', c.target) }));
  }, []);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const key = e.dataTransfer.getData(DRAG_TYPE);
    const item = palette.find((p) => p.key === key);
    if (!item) return;
    const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    const node: ScenarioNode = { id: newId(draft.nodes, item.type), type: item.type, ...(item.preset ? { config: { ...item.preset } } : {}) };
    const t = typeMap.get(item.type);
    // Dropped on a connection: the step goes between its two ends.
    const hit = isTrigger(item.type)
      ? undefined
      : edges.find((ed) => {
          const a = positions[ed.source];
          const b = positions[ed.target];
          if (!a || !b) return false;
          const mx = (a.x + b.x) / 2 + NODE_W / 2;
          const my = (a.y + NODE_H + b.y) / 2;
          return Math.hypot(at.x - mx, at.y - my) < 70;
        });
    const pos = { x: at.x - NODE_W / 2, y: at.y - NODE_H / 2 };
    if (hit) {
      const nodes = insertOnEdge(draft.nodes, node, hit.source, String(hit.sourceHandle), hit.target, t);
      update(nodes);
      setPositions(layout(nodes, typeMap));
    } else {
      update([...draft.nodes, node]);
      setPositions((p) => ({ ...p, [node.id]: pos }));
    }
    setSelected(node.id);
  };

  // Canvas positions travel with the scenario (`layout`: node id → {x, y}), for every node still on the canvas.
  const layoutOfDraft = () =>
    Object.fromEntries(draft.nodes.filter((n) => positions[n.id]).map((n) => [n.id, { x: Math.round(positions[n.id].x), y: Math.round(positions[n.id].y) }]));
  const body = () => ({ name: draft.name, ...(draft.description ? { description: draft.description } : {}), settings: draft.settings, nodes: draft.nodes, layout: layoutOfDraft() });
  const showError = (e: unknown) => {
    if (e instanceof ApiError) {
      setFaults(e.problem.errors ?? []);
      const n = e.problem.errors?.length ?? 0;
      const detail = e.problem.detail || e.problem.title;
      setProblem(n && !/\bfaults?\b/.test(detail) ? `${detail} (${n} ${n === 1 ? 'fault' : 'faults'})` : detail);
    } else setProblem((e as Error).message);
  };
  const save = useMutation({
    mutationFn: async (then?: 'activate') => {
      setFaults([]);
      setProblem(null);
      // A new scenario saved once (its start then refused) is saved again in place, never created twice.
      const existing = scenario ?? created.current;
      const saved = existing ? await api.put<Scenario>(`/scenarios/${existing.id}`, body()) : await api.post<Scenario>('/scenarios', body());
      if (!scenario) created.current = saved;
      // Saving a running scenario makes its new version live at once; only a draft is started.
      if (then === 'activate' && saved.status === 'draft') await api.post(`/scenarios/${saved.id}/activate`);
      return { saved, then };
    },
    onSuccess: ({ saved, then }) => {
      toast(then === 'activate' ? `“${draft.name}” saved and started.` : `“${draft.name}” saved as draft.`);
      localStorage.setItem(`retenta.scenario-layout.${saved.id}`, JSON.stringify(positions));
      void client.invalidateQueries({ queryKey: ['scenarios'] });
      if (!scenario) navigate(`/scenarios/${saved.id}`, { replace: true });
    },
    onError: (e) => {
      showError(e);
      void client.invalidateQueries({ queryKey: ['scenarios'] });
    },
  });
  const lifecycle = useMutation({
    mutationFn: (action: 'pause' | 'resume' | 'stop' | 'activate') => api.post<Scenario>(`/scenarios/${scenario!.id}/${action}`),
    onMutate: () => {
      setFaults([]);
      setProblem(null);
    },
    onSuccess: (_r, action) => {
      toast(`Scenario ${action === 'stop' ? 'stopped' : action === 'pause' ? 'paused' : 'running'}.`);
      void client.invalidateQueries({ queryKey: ['scenarios'] });
    },
    onError: showError,
  });

  const [simWho, setSimWho] = useState('');
  const [simData, setSimData] = useState('');
  const simulate = useMutation({
    mutationFn: () => api.post<{ trace: TraceStep[] }>(`/scenarios/${scenario!.id}/simulate`, { profile: toProfileRef(simWho), ...(simData.trim() ? { data: JSON.parse(simData) } : {}) }),
    onSuccess: (r) => {
      setTrace(r.trace);
      setReplayAt(0);
    },
    onError: showError,
  });
  useEffect(() => {
    if (replayAt === null || !trace) return;
    if (replayAt >= trace.length - 1) return;
    const t = setTimeout(() => setReplayAt((i) => (i === null ? null : i + 1)), 700);
    return () => clearTimeout(t);
  }, [replayAt, trace]);

  const sel = draft.nodes.find((n) => n.id === selected);
  const selType = sel ? typeMap.get(sel.type) : undefined;
  const funnel = stats.data ? stepOrder(draft.nodes, typeMap).map((n) => ({ name: `${typeMap.get(n.type)?.label ?? n.type} (${n.id})`, value: stats.data!.nodes[n.id]?.entered ?? 0 })) : [];

  return (
    <>
      <div className="editor__bar" data-testid="scenario-bar">
        <input className="input" aria-label="Scenario name" value={draft.name} onChange={(e) => setDraft((d) => ({ ...d, name: e.target.value }))} placeholder="Abandoned cart" />
        {scenario && <Badge>{scenario.status}</Badge>}
        {scenario && <span className="muted small">version {scenario.version}</span>}
        <Button variant="ghost" aria-label="Scenario settings" title="Scenario settings" onClick={() => setShowSettings(true)}>
          <Icon name="gear" /> Settings
        </Button>
        <Button
          variant="ghost"
          onClick={() => {
            setPositions(layout(draft.nodes, typeMap));
            setTimeout(() => void flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
          }}
        >
          Auto-layout
        </Button>
        <span style={{ flex: 1 }} />
        {scenario?.status === 'active' && (
          <Button busy={lifecycle.isPending} onClick={() => lifecycle.mutate('pause')}>
            Pause
          </Button>
        )}
        {scenario?.status === 'paused' && (
          <Button busy={lifecycle.isPending} onClick={() => lifecycle.mutate('resume')}>
            Resume
          </Button>
        )}
        {scenario && scenario.status !== 'stopped' && scenario.status !== 'draft' && (
          <Button variant="ghost" busy={lifecycle.isPending} onClick={() => window.confirm('Stop the scenario? Running instances end.') && lifecycle.mutate('stop')}>
            Stop
          </Button>
        )}
        <Button busy={save.isPending && save.variables !== 'activate'} onClick={() => save.mutate(undefined)}>
          Save as draft
        </Button>
        <Button variant="primary" busy={save.isPending && save.variables === 'activate'} onClick={() => save.mutate('activate')}>
          {scenario?.status === 'active' ? 'Save' : 'Save and start'}
        </Button>
      </div>
      {problem && (
        <div className="alert alert--error" role="alert" data-testid="scenario-problem">
          <strong>{problem}</strong>
          {unplacedFaults.length > 0 && (
            <ul>
              {unplacedFaults.map((f, i) => (
                <li key={i}>
                  {f.path && <code>{f.path}</code>} {f.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="editor">
        <div
          ref={wrapper}
          className={`editor__canvas${over ? ' editor__canvas--over' : ''}`}
          data-testid="canvas"
          onDragOver={(e) => {
            e.preventDefault();
            e.dataTransfer.dropEffect = 'move';
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
        >
          <ReactFlow
            nodes={flowNodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onPaneClick={() => setSelected(null)}
            fitView
            fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
            deleteKeyCode={['Delete', 'Backspace']}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} />
            <Controls showInteractive={false} />
          </ReactFlow>
          {draft.nodes.length === 0 && <div className="editor__empty">Drag a start point from the right onto the canvas.</div>}
        </div>
        <div className="editor__side">
          {sel && selType ? (
            <Card
              title={`${selType.label} · ${sel.id}`}
              testId="node-config"
              actions={
                <Button
                  variant="ghost"
                  onClick={() => {
                    update(removeNode(draft.nodes, sel.id));
                    setSelected(null);
                  }}
                >
                  Delete
                </Button>
              }
            >
              <NodeForm
                key={sel.id}
                type={selType}
                config={sel.config ?? {}}
                errors={nodeFaults.get(sel.id) ?? []}
                onChange={(config) => update(draft.nodes.map((n) => (n.id === sel.id ? { ...n, config } : n)))}
              />
            </Card>
          ) : null}
          {
            <Card title="Steps" testId="palette">
              {GROUPS.map((g) => (
                <div className="palette__group" key={g}>
                  <div className="palette__title">{g}</div>
                  <div className="palette__items">
                    {palette
                      .filter((p) => p.group === g)
                      .map((p) => (
                        <div key={p.key} className="palette__item" draggable data-palette={p.key} onDragStart={(e) => {
                          e.dataTransfer.setData(DRAG_TYPE, p.key);
                          e.dataTransfer.effectAllowed = 'move';
                        }}>
                          <Icon name={p.icon} size={14} /> {p.label}
                        </div>
                      ))}
                  </div>
                </div>
              ))}
            </Card>
          }
          {scenario && scenario.status === 'active' && <LaunchCard scenarioId={scenario.id} />}
          {scenario && (
            <Card title="Simulate a customer" testId="simulate">
              <div className="form">
                <input className="input" aria-label="Simulate for" placeholder="anna@example.com" value={simWho} onChange={(e) => setSimWho(e.target.value)} />
                <input className="input input--mono" aria-label="Simulation data" placeholder={'{"cart_id": "c-1"}'} value={simData} onChange={(e) => setSimData(e.target.value)} />
                <Button busy={simulate.isPending} onClick={() => simulate.mutate()}>
                  Simulate and replay
                </Button>
                {trace && (
                  <ol className="trace" data-testid="trace">
                    {trace.map((s, i) => (
                      <li key={i} className={i === replayAt ? 'trace--current' : ''}>
                        <span className="muted">{new Date(s.at).toISOString().slice(5, 16).replace('T', ' ')}</span> <strong>{s.node_id}</strong> {s.outcome}
                      </li>
                    ))}
                  </ol>
                )}
              </div>
            </Card>
          )}
          {versions.data && versions.data.items.length > 0 && (
            <Card title="Versions">
              <ul className="trace">
                {versions.data.items.map((v) => (
                  <li key={v.version}>
                    v{v.version} {v.status && <Badge>{v.status}</Badge>}
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      </div>
      {stats.data && (
        <div className="grid grid--aside" style={{ marginTop: 16 }}>
          <Card title="Funnel" testId="scenario-funnel">
            <Chart kind="funnel" label="Customers who reached each step" data={funnel} />
          </Card>
          <Card title="Totals" testId="scenario-totals">
            <dl className="kv">
              {(['entered', 'active', 'completed', 'exited', 'goals'] as const).map((k) => (
                <div className="kv__row" key={k}>
                  <dt>{k}</dt>
                  <dd className="num" data-stat={k}>
                    {stats.data[k]}
                  </dd>
                </div>
              ))}
            </dl>
          </Card>
        </div>
      )}
      {scenario && scenario.status !== 'draft' && (
        <div style={{ marginTop: 16 }}>
          <Instances scenarioId={scenario.id} onPick={setSelected} />
        </div>
      )}
      {showSettings && (
        <Modal title="Scenario settings" onClose={() => setShowSettings(false)}>
          <SettingsForm
            draft={draft}
            faults={faults.filter((f) => /^(body\.)?(settings|description)/.test(f.path))}
            onSave={(d) => {
              setDraft((x) => ({ ...x, ...d }));
              setShowSettings(false);
            }}
          />
        </Modal>
      )}
    </>
  );
}

/** The canvas for a new scenario (from a blank or a classic template) or a saved one. */
export default function ScenarioEditor({ scenario, initial }: { scenario?: Scenario; initial: Draft }) {
  const saved = scenario ? localStorage.getItem(`retenta.scenario-layout.${scenario.id}`) : null;
  const layoutOf = scenario?.layout ?? (saved ? (JSON.parse(saved) as Record<string, { x: number; y: number }>) : undefined);
  const complete = layoutOf && initial.nodes.every((n) => layoutOf[n.id]) ? layoutOf : undefined;
  return (
    <ReactFlowProvider>
      <Canvas key={scenario ? `${scenario.id}:${scenario.version}:${scenario.status}` : 'new'} scenario={scenario} initial={{ ...initial, layout: complete }} />
    </ReactFlowProvider>
  );
}
