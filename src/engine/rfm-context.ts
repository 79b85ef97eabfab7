import { LazyDrop } from '../domain/messaging/template.js';
import { toMajor } from '../domain/money.js';
import { rfmOf, type RfmScore } from '../store/rfm.js';
import { registerContextProvider, type ContextInput } from './messaging.js';

/**
 * `{{ rfm.r }}`, `{{ rfm.f }}`, `{{ rfm.m }}` (quintiles 1–5), `{{ rfm.score }}` ("545"), `{{ rfm.orders }}`,
 * `{{ rfm.monetary }}` (major units) and `{{ rfm.last_order_at }}` in a message: the profile's stored RFM
 * scores, read only when a template uses them; a profile without a score renders empty.
 */
export function registerRfmContext(): void {
  registerContextProvider({
    name: 'rfm',
    async: true,
    provide: (input: ContextInput) => {
      let score: Promise<RfmScore | null> | null = null;
      return new LazyDrop(async (key: string) => {
        const s = await (score ??= rfmOf(input.tx, input.profile.id));
        if (!s) return '';
        switch (key) {
          case 'r':
          case 'f':
          case 'm':
          case 'orders':
            return s[key];
          case 'score':
            return `${s.r}${s.f}${s.m}`;
          case 'monetary':
            return toMajor(s.monetary);
          case 'last_order_at':
            return s.last_order_at.toISOString();
          default:
            return '';
        }
      });
    },
  });
}
