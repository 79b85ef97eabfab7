import type { AppContext } from '../../context.js';
import type { ScenarioDefinition } from '../../domain/scenarios/model.js';
import { placeholdersOf, SCENARIO_TEMPLATES, scenarioTemplate, substitute } from '../../domain/scenarios/templates/index.js';
import type { Tx } from '../../store/db.js';
import { newId } from '../../store/ids.js';
import { insertScenario, type Layout, type ScenarioRow } from '../../store/scenarios.js';
import { insertTemplate } from '../../store/templates.js';
import { messaging } from '../messaging.js';

export class TemplateUnknown extends Error {}

/** GET /scenario-templates: each template with the placeholders a marketer fills (pools, programs, segments, promotions). */
export function templateCatalogue() {
  return SCENARIO_TEMPLATES.map((t) => ({
    key: t.key,
    name: t.name,
    description: t.description,
    settings: t.settings,
    nodes: t.nodes,
    sample_templates: t.sample_templates.map((s) => ({ key: s.key, name: s.name, channel: s.channel, subject: s.subject ?? null })),
    placeholders: placeholdersOf(t)
      .filter((p) => p.kind !== 'tpl')
      .map((p) => p.text),
  }));
}

/**
 * Creates a draft from a ready-made template: its sample message templates are created (named after the
 * scenario, so names stay unique) and their `tpl:` placeholders replaced by the new ids; `pool:`, `program:`,
 * `segment:` and `promotion:` placeholders are replaced by the ids given in `refs` (keyed by the
 * placeholder text) and otherwise left for the marketer to pick in the editor: activation lists each one
 * left as a missing reference.
 */
export async function createFromTemplate(
  ctx: AppContext,
  tx: Tx,
  key: string,
  opts: { name?: string; description?: string | null; layout?: Layout | null; refs: Record<string, string> },
  now: Date,
): Promise<{ scenario: ScenarioRow; definition: ScenarioDefinition; templates: { key: string; id: string; name: string }[] }> {
  const t = scenarioTemplate(key);
  if (!t) throw new TemplateUnknown(`is not a scenario template (one of ${SCENARIO_TEMPLATES.map((x) => x.key).join(', ')})`);
  const name = opts.name ?? t.name;
  const suffix = newId().slice(-6);
  const ids: Record<string, string> = { ...opts.refs };
  const templates: { key: string; id: string; name: string }[] = [];
  for (const s of t.sample_templates) {
    const id = newId();
    const tname = `${name}: ${s.name} (${suffix})`;
    await insertTemplate(
      tx,
      {
        id,
        name: tname,
        channel: s.channel,
        format: s.channel === 'email' ? 'html' : 'text',
        subject: s.subject ?? null,
        preheader: null,
        from_address: null,
        title: null,
        url: null,
        parse_mode: null,
        body: s.body,
        compiled_body: s.body,
        transactional: false,
      },
      now,
    );
    ids[`tpl:${s.key}`] = id;
    templates.push({ key: s.key, id, name: tname });
  }
  messaging(ctx).invalidate();
  const definition: ScenarioDefinition = { settings: substitute(t.settings, ids), nodes: substitute(t.nodes, ids) };
  const scenario = await insertScenario(tx, { name, description: opts.description ?? t.description, layout: opts.layout ?? null, template_key: t.key }, definition, now);
  return { scenario, definition, templates };
}
