/** Test then winner: how the variants did on the test share, and which one the rest of the audience gets. */
export const WINNER_METRICS = ['opens', 'clicks', 'goal'] as const;
export type WinnerMetric = (typeof WINNER_METRICS)[number];

/** The event that counts for a metric: the tracking events of messaging, or the campaign's goal event. */
export function metricEvent(metric: WinnerMetric, goalEvent: string | null): string {
  if (metric === 'opens') return 'message_opened';
  if (metric === 'clicks') return 'message_clicked';
  if (!goalEvent) throw new Error('the goal metric needs a goal event');
  return goalEvent;
}

export interface VariantResult {
  variant: number;
  /** Test recipients the variant was handed to. */
  sent: number;
  /** Of them, how many opened / clicked / reached the goal within the window (each profile once). */
  converted: number;
}

export interface ScoredVariant extends VariantResult {
  rate: number;
}

export interface WinnerDecision {
  winner: number;
  results: ScoredVariant[];
}

/**
 * The variant with the highest conversion rate wins. Ties go to the variant with more conversions, then
 * to the earlier variant (the first one is usually the control copy). Variants that were sent to nobody
 * cannot win unless no variant was sent at all, in which case the first variant is sent to the rest.
 */
export function pickWinner(results: VariantResult[], variantCount: number): WinnerDecision {
  const byVariant = new Map(results.map((r) => [r.variant, r]));
  const scored: ScoredVariant[] = Array.from({ length: variantCount }, (_, v) => {
    const r = byVariant.get(v) ?? { variant: v, sent: 0, converted: 0 };
    return { ...r, rate: r.sent > 0 ? r.converted / r.sent : 0 };
  });
  let best = -1;
  for (const s of scored) {
    if (s.sent === 0) continue;
    const b = best >= 0 ? scored[best] : null;
    // rates compared as exact fractions: converted/sent against converted/sent
    const cmp = b ? s.converted * b.sent - b.converted * s.sent : 1;
    if (!b || cmp > 0 || (cmp === 0 && s.converted > b.converted)) best = s.variant;
  }
  return { winner: best >= 0 ? best : 0, results: scored };
}
