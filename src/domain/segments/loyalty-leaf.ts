import { countHolds, parseCountBound, type CountBound } from '../conditions/count.js';
import { type Fault, type LeafKind, type LeafNode } from '../conditions/tree.js';
import { isUuid } from '../profiles/ref.js';
import { cached, faultsOf, leafBody } from './leaf-support.js';
import type { SegmentEvalContext } from './leaves.js';

/**
 * `{loyalty: {program_id, member: true}}` (or `false`: not a member), `{loyalty: {program_id, balance: {gte: 500}}}`,
 * `{loyalty: {program_id, tier: "Gold" | ["Gold", "Platinum"]}}`. Balance and tier conditions hold only for
 * members of the program; given together, both must hold.
 */
export interface LoyaltyCondition {
  programId: string;
  member: boolean;
  balance: CountBound | null;
  tiers: string[] | null;
}

/** One membership as the evaluator sees it. */
export interface LoyaltyFact {
  program_id: string;
  balance: number;
  tier: string | null;
}

const KEYS = ['program_id', 'member', 'balance', 'tier'] as const;

export function parseLoyaltyLeaf(leaf: LeafNode): LoyaltyCondition | Fault[] {
  const { body: l, faults } = leafBody(leaf, 'loyalty', 'a loyalty condition', '{program_id, member | balance | tier}', KEYS);
  if (!l) return faults;
  if (typeof l.program_id !== 'string' || !isUuid(l.program_id)) faults.push({ path: 'loyalty.program_id', message: 'must be a loyalty program id (UUID)' });
  if (l.member !== undefined && typeof l.member !== 'boolean') faults.push({ path: 'loyalty.member', message: 'must be true or false' });
  let balance: CountBound | null = null;
  if (l.balance !== undefined) {
    const b = parseCountBound(l.balance, 'loyalty.balance');
    if (Array.isArray(b)) faults.push(...b);
    else balance = b;
  }
  let tiers: string[] | null = null;
  if (l.tier !== undefined) {
    const list = Array.isArray(l.tier) ? l.tier : [l.tier];
    if (!list.length || list.length > 100 || !list.every((t) => typeof t === 'string' && t.length >= 1 && t.length <= 200))
      faults.push({ path: 'loyalty.tier', message: 'must be a tier name or an array of 1 to 100 tier names' });
    else tiers = [...new Set(list as string[])];
  }
  if (l.member === undefined && l.balance === undefined && l.tier === undefined)
    faults.push({ path: 'loyalty', message: 'must name member, balance or tier' });
  if (l.member === false && (l.balance !== undefined || l.tier !== undefined))
    faults.push({ path: 'loyalty.member', message: 'cannot be false together with balance or tier (those hold only for members)' });
  if (faults.length) return faults;
  return { programId: (l.program_id as string).toLowerCase(), member: l.member !== false, balance, tiers };
}

export const loyaltyCondition = cached(parseLoyaltyLeaf);

export const loyaltyKind: LeafKind<SegmentEvalContext> = {
  key: 'loyalty',
  validate: (leaf) => faultsOf(parseLoyaltyLeaf(leaf)),
  evaluate(leaf, ctx) {
    const c = loyaltyCondition(leaf);
    const m = (ctx.facts.loyalty ?? []).find((x) => x.program_id === c.programId);
    if (!c.member) return !m;
    if (!m) return false;
    if (c.balance && !countHolds(c.balance, m.balance)) return false;
    if (c.tiers && (m.tier === null || !c.tiers.includes(m.tier))) return false;
    return true;
  },
  dependencies: () => ['loyalty'],
  // points expire and held redemptions run out with time alone: balance segments are also refreshed on schedule
  timeRelative: (leaf) => loyaltyCondition(leaf).balance !== null,
};

/** The loyalty programs a tree names (to check that they exist). */
export function loyaltyPrograms(leaves: Iterable<{ leaf: LeafNode; kind: { key: string } | undefined }>): string[] {
  const out = new Set<string>();
  for (const { leaf, kind } of leaves) if (kind?.key === 'loyalty') out.add(loyaltyCondition(leaf).programId);
  return [...out];
}
