import type { AppContext } from '../../context.js';
import type { ScenarioDefinition, ScenarioNode } from '../../domain/scenarios/model.js';
import type { Executor } from '../../store/db.js';
import { getVersion, interestedNames, liveScenarios, type ScenarioStatus } from '../../store/scenarios.js';

/** Channel on which a lifecycle change or a new version is announced to every process. */
export const SCENARIOS_CHANNEL = 'retenta_scenarios';
const REFRESH_MS = 2_000;

export interface LiveScenario {
  id: string;
  status: ScenarioStatus;
  live_version: number | null;
}

/**
 * What this process knows of the scenarios that run: their status and live version (refreshed on a
 * NOTIFY from any process and at least every 2 s), version definitions (immutable, cached forever), and the
 * event names each listens to (start nodes; waits, exit_on and goals of its live instances), so that an
 * event that concerns no scenario costs nothing.
 */
export class ScenarioRegistry {
  private live = new Map<string, LiveScenario>();
  private versions = new Map<string, ScenarioDefinition>();
  private interest = new Map<string, Set<string>>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private listeners = new Set<() => void>();

  constructor(private ctx: AppContext) {}

  async start(): Promise<void> {
    if (this.unlisten) return;
    this.unlisten = await this.ctx.database.listen(SCENARIOS_CHANNEL, () => {
      this.loadedAt = 0;
      for (const l of this.listeners) l();
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = null;
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** Tells every process (this one at once) that scenarios changed. */
  async changed(): Promise<void> {
    this.loadedAt = 0;
    await this.ctx.database.notify(SCENARIOS_CHANNEL, 'changed');
  }

  private async refresh(): Promise<void> {
    if (Date.now() - this.loadedAt < REFRESH_MS) return;
    this.loading ??= (async () => {
      const started = Date.now();
      const [rows, names] = await Promise.all([liveScenarios(this.ctx.db), interestedNames(this.ctx.db)]);
      this.live = new Map(rows.map((r) => [r.id, { id: r.id, status: r.status, live_version: r.live_version }]));
      const interest = new Map<string, Set<string>>();
      for (const n of names) (interest.get(n.event_name) ?? interest.set(n.event_name, new Set()).get(n.event_name)!).add(n.scenario_id);
      this.interest = interest;
      this.loadedAt = started;
    })().finally(() => (this.loading = null));
    await this.loading;
  }

  /** Scenarios whose instances run now (status active). */
  async activeIds(): Promise<string[]> {
    await this.refresh();
    return [...this.live.values()].filter((s) => s.status === 'active').map((s) => s.id);
  }

  async scenario(id: string): Promise<LiveScenario | undefined> {
    await this.refresh();
    return this.live.get(id);
  }

  /** True when some scenario listens to this event name (a cheap check before waking the event task). */
  async interested(name: string): Promise<boolean> {
    await this.refresh();
    return this.interest.has(name);
  }

  /** A version's definition; pass the open transaction when there is one (PGlite has one connection). */
  async definition(scenarioId: string, version: number, ex: Executor = this.ctx.db): Promise<ScenarioDefinition | undefined> {
    const key = `${scenarioId}:${version}`;
    const hit = this.versions.get(key);
    if (hit) return hit;
    const def = await getVersion(ex, scenarioId, version);
    if (def) this.versions.set(key, def);
    return def;
  }
}

const registries = new WeakMap<AppContext, ScenarioRegistry>();

export function scenarioRegistry(ctx: AppContext): ScenarioRegistry {
  let r = registries.get(ctx);
  if (!r) registries.set(ctx, (r = new ScenarioRegistry(ctx)));
  return r;
}

export const nodeById = (def: ScenarioDefinition, id: string): ScenarioNode | undefined => def.nodes.find((n) => n.id === id);
export const startNodes = (def: ScenarioDefinition, type?: string): ScenarioNode[] =>
  def.nodes.filter((n) => n.type.startsWith('trigger.') && (!type || n.type === type));
