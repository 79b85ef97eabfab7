import { createHash } from 'node:crypto';

/**
 * Who in a campaign's audience gets what, decided by stable hashes of the profile id, so that the same
 * profile lands in the same group and variant every time (a restart, a re-snapshot, an API send) and the
 * database can decide it set-based in the snapshot statement with exactly the same arithmetic:
 *
 *   words = md5(seed || profile_id) read as four unsigned 32-bit big-endian integers
 *
 * Word 0 decides the campaign's control group, word 1 the variant, word 2 test or rest (test then winner).
 * The global control group reads word 0 of md5(GLOBAL_CONTROL_SEED || profile_id): the same profiles for
 * every campaign, and raising the share only adds profiles to the group.
 */
export const HASH_SPACE = 2 ** 32;
export const GLOBAL_CONTROL_SEED = 'global-control:';
export const WORD = { control: 0, variant: 1, test: 2 } as const;

export function campaignSeed(campaignId: string): string {
  return `campaign:${campaignId}:`;
}

/** The four 32-bit words of md5(seed || profileId). */
export function hashWords(seed: string, profileId: string): [number, number, number, number] {
  const h = createHash('md5').update(seed + profileId.toLowerCase()).digest();
  return [h.readUInt32BE(0), h.readUInt32BE(4), h.readUInt32BE(8), h.readUInt32BE(12)];
}

/** A share in percent (0–100, two decimals) as the bound a word must stay below. */
export function shareBound(percent: number): number {
  const p = Math.min(100, Math.max(0, percent));
  return Math.round((p / 100) * HASH_SPACE);
}

/**
 * Upper bounds of each variant's slice of the hash space, proportional to the weights: variant i takes the
 * words in [bounds[i-1], bounds[i]). The last bound is the whole space, so every word has a variant.
 */
export function variantBounds(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error('variant weights must add up to more than zero');
  let cum = 0;
  return weights.map((w, i) => {
    cum += w;
    return i === weights.length - 1 ? HASH_SPACE : Math.floor((cum / total) * HASH_SPACE);
  });
}

export function variantOf(word: number, bounds: number[]): number {
  for (let i = 0; i < bounds.length; i++) if (word < bounds[i]) return i;
  return bounds.length - 1;
}

export type RecipientGroup = 'all' | 'test' | 'rest' | 'control' | 'global_control';

/** Everything the split needs, as numbers the SQL snapshot uses unchanged. */
export interface AssignmentPlan {
  seed: string;
  /** Bound of the global control group (0: none, also for campaigns of transactional templates). */
  globalControlBound: number;
  controlBound: number;
  /** Bound of the test share when the campaign tests then sends the winner; null without a test. */
  testBound: number | null;
  variantBounds: number[];
}

export interface PlanInput {
  campaignId: string;
  weights: number[];
  controlPercent: number;
  /** The messaging setting `control_group_percent`; 0 when the campaign is exempt. */
  globalControlPercent: number;
  /** `winner_selection.test_percent`, when set. */
  testPercent: number | null;
}

export function assignmentPlan(i: PlanInput): AssignmentPlan {
  return {
    seed: campaignSeed(i.campaignId),
    globalControlBound: shareBound(i.globalControlPercent),
    controlBound: shareBound(i.controlPercent),
    testBound: i.testPercent === null ? null : shareBound(i.testPercent),
    variantBounds: variantBounds(i.weights),
  };
}

export interface Assignment {
  group: RecipientGroup;
  /** The variant this profile is sent (null for control groups and for the rest before the winner). */
  variant: number | null;
}

/** The group and variant of one profile; the snapshot SQL computes the same for every profile at once. */
export function assign(plan: AssignmentPlan, profileId: string): Assignment {
  if (plan.globalControlBound > 0 && hashWords(GLOBAL_CONTROL_SEED, profileId)[0] < plan.globalControlBound) return { group: 'global_control', variant: null };
  const w = hashWords(plan.seed, profileId);
  if (w[WORD.control] < plan.controlBound) return { group: 'control', variant: null };
  if (plan.testBound !== null) {
    if (w[WORD.test] >= plan.testBound) return { group: 'rest', variant: null };
    return { group: 'test', variant: variantOf(w[WORD.variant], plan.variantBounds) };
  }
  return { group: 'all', variant: variantOf(w[WORD.variant], plan.variantBounds) };
}

/** Whether a profile is in the global control group at this share (for other senders, e.g. scenarios). */
export function inGlobalControlGroup(profileId: string, percent: number): boolean {
  const bound = shareBound(percent);
  return bound > 0 && hashWords(GLOBAL_CONTROL_SEED, profileId)[0] < bound;
}
