import { LazyDrop } from '../domain/messaging/template.js';
import { membershipsOfProfile, membershipsOfProfiles } from '../store/loyalty.js';
import { registerContextProvider, type ContextInput } from './messaging.js';

type Membership = Awaited<ReturnType<typeof membershipsOfProfile>>[number];

/** One key of `loyalty`: the first program's balance, pending points, tier or id, or every program by id. */
function loyaltyValue(all: Membership[], key: string): unknown {
  if (key === 'programs') return Object.fromEntries(all.map((m) => [m.program_id, { balance: m.balance, pending: m.pending, tier: m.tier }]));
  const first = all[0];
  if (!first) return '';
  if (key === 'balance') return first.balance;
  if (key === 'pending') return first.pending;
  if (key === 'tier') return first.tier ?? '';
  if (key === 'program_id') return first.program_id;
  return '';
}

const KEYS = ['programs', 'balance', 'pending', 'tier', 'program_id'];

/**
 * `{{ loyalty.balance }}`, `{{ loyalty.pending }}`, `{{ loyalty.tier }}` (the profile's first program) and
 * `{{ loyalty.programs["<program id>"].balance }}` for any program it belongs to. Read only when a template
 * uses them (for a batch of sends, in one query); a profile in no program renders empty.
 */
export function registerLoyaltyContext(): void {
  registerContextProvider({
    name: 'loyalty',
    async: true,
    provide: (input: ContextInput) => {
      let memberships: ReturnType<typeof membershipsOfProfile> | null = null;
      const load = () => (memberships ??= membershipsOfProfile(input.tx, input.profile.id));
      return new LazyDrop(async (key: string) => loyaltyValue(await load(), key));
    },
    provideBatch: async (inputs: ContextInput[]) => {
      if (!inputs.length) return [];
      const all = await membershipsOfProfiles(inputs[0].tx, [...new Set(inputs.map((i) => i.profile.id))]);
      return inputs.map((i) => {
        const list = all.get(i.profile.id) ?? [];
        return list.length ? Object.fromEntries(KEYS.map((k) => [k, loyaltyValue(list, k)])) : { programs: {} };
      });
    },
  });
}
