import { createHash } from 'node:crypto';

/**
 * Deterministic assignment of profiles and instances to holdout groups and split variants: a hash of the
 * ids, so the same profile is always held out of the same scenario and an instance re-evaluating a split
 * lands on the same variant. Not randomness: no source of chance is read.
 */

/** A number in [0, 1) derived from the text. */
export function unitHash(text: string): number {
  const h = createHash('sha256').update(text).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000;
}

/** True when the profile belongs to the scenario's holdout (control) group of `percent` % (0..100). */
export function holdoutOf(profileId: string, scenarioId: string, percent: number): boolean {
  if (!(percent > 0)) return false;
  if (percent >= 100) return true;
  return unitHash(`holdout:${scenarioId}:${profileId}`) * 100 < percent;
}

export interface SplitVariant {
  label: string;
  weight: number;
}

/** The label of the variant an instance takes at a split node, in proportion to the weights. */
export function splitOf(instanceId: string, nodeId: string, variants: readonly SplitVariant[]): string {
  if (!variants.length) throw new Error('a split needs at least one variant');
  const total = variants.reduce((s, v) => s + Math.max(0, v.weight), 0);
  if (!(total > 0)) return variants[0].label;
  let point = unitHash(`split:${nodeId}:${instanceId}`) * total;
  for (const v of variants) {
    const w = Math.max(0, v.weight);
    if (point < w) return v.label;
    point -= w;
  }
  return variants[variants.length - 1].label;
}
