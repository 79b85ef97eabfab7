import type { ScenarioNode, ScenarioSettings } from '../model.js';

/**
 * A ready-made scenario. Nodes reference things that must exist in the installation by placeholders:
 * `template_id: "tpl:<key>"` is one of `sample_templates` (created with the scenario), `"pool:<key>"`,
 * `"program:<key>"`, `"segment:<key>"` and `"promotion:<key>"` name a promo pool, loyalty program,
 * segment or promotion the user picks. Creating a scenario from a template replaces every placeholder
 * with a real id (see placeholdersOf / substitute) before the scenario is saved and validated with refs.
 */
export interface SampleTemplate {
  key: string;
  name: string;
  channel: 'email' | 'sms' | 'push' | 'telegram';
  subject?: string;
  body: string;
}

export interface ScenarioTemplate {
  key: string;
  name: string;
  description: string;
  settings: ScenarioSettings;
  nodes: ScenarioNode[];
  sample_templates: SampleTemplate[];
}
