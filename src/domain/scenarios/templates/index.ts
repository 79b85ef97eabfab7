import { abandonedCart } from './abandoned-cart.js';
import { education } from './education.js';
import { firstPurchase } from './first-purchase.js';
import { loyaltyManagement } from './loyalty.js';
import { paymentNotification } from './payment.js';
import { reactivation } from './reactivation.js';
import type { ScenarioTemplate } from './types.js';
import { welcome } from './welcome.js';

export type { SampleTemplate, ScenarioTemplate } from './types.js';

/** The classic marketing scenarios, ready to create from. */
export const SCENARIO_TEMPLATES: readonly ScenarioTemplate[] = [
  welcome,
  firstPurchase,
  education,
  abandonedCart,
  loyaltyManagement,
  reactivation,
  paymentNotification,
];

export function scenarioTemplate(key: string): ScenarioTemplate | undefined {
  return SCENARIO_TEMPLATES.find((t) => t.key === key);
}

export const PLACEHOLDER_KINDS = ['tpl', 'pool', 'program', 'segment', 'promotion'] as const;
export type PlaceholderKind = (typeof PLACEHOLDER_KINDS)[number];
const PLACEHOLDER_RE = /^(tpl|pool|program|segment|promotion):([a-z0-9_]+)$/;

/** Every placeholder (`"tpl:welcome"`, `"pool:welcome"`, …) a template's nodes use, once each. */
export function placeholdersOf(t: Pick<ScenarioTemplate, 'nodes'>): { kind: PlaceholderKind; key: string; text: string }[] {
  const seen = new Map<string, { kind: PlaceholderKind; key: string; text: string }>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      const m = PLACEHOLDER_RE.exec(v);
      if (m) seen.set(v, { kind: m[1] as PlaceholderKind, key: m[2], text: v });
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const n of t.nodes) walk(n.config);
  return [...seen.values()];
}

/**
 * The template's nodes with each placeholder replaced by `ids[placeholder]` (e.g. `{"tpl:welcome": "<uuid>"}`);
 * placeholders without an id are left as they are (validation with refs then reports them).
 */
export function substitute<T>(value: T, ids: Record<string, string>): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return PLACEHOLDER_RE.test(v) && ids[v] !== undefined ? ids[v] : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
