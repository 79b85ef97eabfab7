import { LazyDrop } from '../domain/messaging/template.js';
import { membershipsOfProfile } from '../store/loyalty.js';
import { registerContextProvider, type ContextInput } from './messaging.js';

/**
 * `{{ loyalty.balance }}`, `{{ loyalty.pending }}`, `{{ loyalty.tier }}` (the profile's first program) and
 * `{{ loyalty.programs["<program id>"].balance }}` for any program it belongs to. Read only when a template
 * uses them; a profile in no program renders empty.
 */
export function registerLoyaltyContext(): void {
  registerContextProvider({
    name: 'loyalty',
    async: true,
    provide: (input: ContextInput) => {
      let memberships: ReturnType<typeof membershipsOfProfile> | null = null;
      const load = () => (memberships ??= membershipsOfProfile(input.tx, input.profile.id));
      return new LazyDrop(async (key: string) => {
        const all = await load();
        if (key === 'programs') return Object.fromEntries(all.map((m) => [m.program_id, { balance: m.balance, pending: m.pending, tier: m.tier }]));
        const first = all[0];
        if (!first) return '';
        if (key === 'balance') return first.balance;
        if (key === 'pending') return first.pending;
        if (key === 'tier') return first.tier ?? '';
        if (key === 'program_id') return first.program_id;
        return '';
      });
    },
  });
}
