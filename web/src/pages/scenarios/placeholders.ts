/**
 * Classic scenario templates name what must exist in the installation by placeholders: `"tpl:<key>"` is
 * one of the template's sample message templates, `"pool:<key>"`, `"program:<key>"`, `"segment:<key>"`,
 * `"promotion:<key>"` a promo pool, loyalty program, segment or promotion the user picks. Pure helpers
 * without imports (tested in Node as well).
 */
interface WithConfig {
  config?: Record<string, unknown>;
}
export const PLACEHOLDER_KINDS = ['tpl', 'pool', 'program', 'segment', 'promotion'] as const;
export type PlaceholderKind = (typeof PLACEHOLDER_KINDS)[number];
const PLACEHOLDER_RE = /^(tpl|pool|program|segment|promotion):([a-z0-9_]+)$/;

export interface Placeholder {
  kind: PlaceholderKind;
  key: string;
  text: string;
}

export const isPlaceholder = (v: unknown): v is string => typeof v === 'string' && PLACEHOLDER_RE.test(v);

/** Every placeholder the nodes' configs use, once each, in order of appearance. */
export function placeholdersOf(nodes: readonly WithConfig[]): Placeholder[] {
  const seen = new Map<string, Placeholder>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      const m = PLACEHOLDER_RE.exec(v);
      if (m && !seen.has(v)) seen.set(v, { kind: m[1] as PlaceholderKind, key: m[2], text: v });
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const n of nodes) walk(n.config);
  return [...seen.values()];
}
