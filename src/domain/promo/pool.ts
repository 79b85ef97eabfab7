import { addDuration, parseDuration } from '../duration.js';
import { capacity, parseTemplate, TemplateError } from './template.js';

export interface RemoteGenerator {
  url: string;
  max_per_request: number;
  timeout_ms?: number;
  retries?: number;
}
export type Generator = { template: string } | { remote: RemoteGenerator } | null;

/** The settings of a pool as the API gives them (dates already parsed). */
export interface PoolSettings {
  name: string;
  template_name: string;
  generator: Generator;
  valid_from: Date | null;
  valid_to: Date | null;
  code_ttl: string | null;
  max_codes: number | null;
  multi_profile: boolean;
  auto_link: boolean;
  scenario_can_create: boolean;
  campaign_can_create: boolean;
  custom_fields: string[];
}

export interface SettingError {
  path: string;
  message: string;
}

const TEMPLATE_NAME_RE = /^[A-Za-z0-9_]+$/;
const FIELD_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every problem with a pool's settings, each naming its field; empty when the settings are usable. */
export function settingErrors(s: PoolSettings): SettingError[] {
  const errors: SettingError[] = [];
  if (!TEMPLATE_NAME_RE.test(s.template_name))
    errors.push({ path: 'template_name', message: 'may hold only letters, digits and "_" (it is the variable name in message templates)' });
  if (s.generator && 'template' in s.generator) {
    try {
      parseTemplate(s.generator.template);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      errors.push({ path: 'generator.template', message: e.message });
    }
  }
  if (s.generator && 'remote' in s.generator) {
    let url: URL | null = null;
    try {
      url = new URL(s.generator.remote.url);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      errors.push({ path: 'generator.remote.url', message: 'must be an http or https URL' });
  }
  if (s.valid_from && s.valid_to && s.valid_from.getTime() >= s.valid_to.getTime())
    errors.push({ path: 'valid_to', message: 'must be after valid_from' });
  if (s.code_ttl !== null) {
    const d = parseDuration(s.code_ttl);
    if (!d || d.negative || addDuration(new Date(0), d).getTime() <= 0)
      errors.push({ path: 'code_ttl', message: 'must be a positive ISO 8601 duration such as P30D' });
  }
  const seen = new Set<string>();
  s.custom_fields.forEach((f, i) => {
    if (!FIELD_NAME_RE.test(f)) errors.push({ path: `custom_fields.${i}`, message: 'must start with a letter or "_" and hold only letters, digits and "_"' });
    else if (seen.has(f)) errors.push({ path: `custom_fields.${i}`, message: `"${f}" is listed twice` });
    seen.add(f);
  });
  return errors;
}

/** Distinct codes the pool's template can make; null when codes come from a file or a remote service. */
export function poolCapacity(generator: Generator): bigint | null {
  return generator && 'template' in generator ? capacity(parseTemplate(generator.template)) : null;
}
