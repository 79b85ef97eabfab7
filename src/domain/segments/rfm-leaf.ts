import { type Fault, type LeafKind, type LeafNode } from '../conditions/tree.js';
import { cached, faultsOf, leafBody } from './leaf-support.js';
import type { SegmentEvalContext } from './leaves.js';

/**
 * `{rfm: {r?: [4, 5], f?: [..], m?: [..]}}`: the profile's RFM quintiles (1 = lowest fifth, 5 = highest;
 * for recency 5 = ordered most recently), computed over the last 365 days of orders by the scheduled RFM
 * refresh. Each named dimension must be one of the listed scores; a profile without a score (no counted
 * order in the last 365 days) matches no rfm condition.
 */
export interface RfmCondition {
  r: number[] | null;
  f: number[] | null;
  m: number[] | null;
}

export interface RfmFact {
  r: number;
  f: number;
  m: number;
}

export const RFM_DIMENSIONS = ['r', 'f', 'm'] as const;

export function parseRfmLeaf(leaf: LeafNode): RfmCondition | Fault[] {
  const { body: v, faults } = leafBody(leaf, 'rfm', 'an rfm condition', '{r?, f?, m?}: arrays of scores 1 to 5', RFM_DIMENSIONS);
  if (!v) return faults;
  const out: RfmCondition = { r: null, f: null, m: null };
  for (const d of RFM_DIMENSIONS) {
    const list = v[d];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length < 1 || list.length > 5) {
      faults.push({ path: `rfm.${d}`, message: 'must be an array of 1 to 5 scores (whole numbers 1 to 5)' });
      continue;
    }
    list.forEach((s, i) => {
      if (!Number.isInteger(s) || (s as number) < 1 || (s as number) > 5) faults.push({ path: `rfm.${d}.${i}`, message: 'must be a whole number from 1 to 5' });
    });
    out[d] = [...new Set(list as number[])].sort();
  }
  if (!RFM_DIMENSIONS.some((d) => v[d] !== undefined)) faults.push({ path: 'rfm', message: 'must name at least one of r, f, m' });
  return faults.length ? faults : out;
}

export const rfmCondition = cached(parseRfmLeaf);

export const rfmKind: LeafKind<SegmentEvalContext> = {
  key: 'rfm',
  validate: (leaf) => faultsOf(parseRfmLeaf(leaf)),
  evaluate(leaf, ctx) {
    const c = rfmCondition(leaf);
    const s = ctx.facts.rfm;
    if (!s) return false;
    return RFM_DIMENSIONS.every((d) => c[d] === null || c[d].includes(s[d]));
  },
  // scores change only when the RFM refresh recomputes them; it re-syncs the segments that depend on them
  dependencies: () => ['rfm'],
};
