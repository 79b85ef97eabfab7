import { liquid, type CompiledTemplate } from '../messaging/template.js';

/**
 * The names a template reads under `promo` (`{{ promo.welcome_code }}` → `welcome_code`): a campaign issues
 * each recipient's codes of those pools before it renders, so that a recipient no code can be issued to is
 * skipped with the reason instead of getting a message without its code.
 */
export function promoNames(t: CompiledTemplate): string[] {
  if (!t.globals.has('promo')) return [];
  const names = new Set<string>();
  for (const part of Object.values(t.parts)) {
    if (!part) continue;
    try {
      for (const segments of liquid.variableSegmentsSync(part)) if (segments[0] === 'promo' && typeof segments[1] === 'string') names.add(segments[1]);
    } catch {
      // static analysis found nothing usable in this part: the render decides
    }
  }
  return [...names];
}
