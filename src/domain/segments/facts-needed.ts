import { windowStart } from './leaf-support.js';
import { eventCondition, segmentLanguage, segmentReference, type SegmentRef } from './leaves.js';
import { ordersCondition } from './orders-leaf.js';

/**
 * What the in-memory evaluator must load about a profile to evaluate some segments: the event names and
 * the oldest event any window can see (null: all time), whether orders (and since when), loyalty
 * memberships and RFM scores are read. Included segments are followed.
 */
export interface FactsNeeded {
  eventNames: string[];
  eventsSince: Date | null;
  orders: boolean;
  ordersSince: Date | null;
  loyalty: boolean;
  rfm: boolean;
}

export function factsNeeded(segmentIds: string[], trees: ReadonlyMap<string, SegmentRef>, now: Date): FactsNeeded {
  const names = new Set<string>();
  let events = now.getTime();
  let eventsAllTime = false;
  let orders = now.getTime();
  let ordersAllTime = false;
  const out = { orders: false, loyalty: false, rfm: false };
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const t = trees.get(id);
    if (!t || t.type !== 'dynamic' || !t.conditions) return;
    for (const { leaf, kind } of segmentLanguage.leaves(t.conditions)) {
      switch (kind?.key) {
        case 'segment':
          visit(segmentReference(leaf));
          break;
        case 'event': {
          const c = eventCondition(leaf);
          names.add(c.name);
          if (c.within) events = Math.min(events, windowStart(c.within, now).getTime());
          else eventsAllTime = true;
          break;
        }
        case 'orders': {
          out.orders = true;
          const c = ordersCondition(leaf);
          if (c.within) orders = Math.min(orders, windowStart(c.within, now).getTime());
          else ordersAllTime = true;
          break;
        }
        case 'loyalty':
          out.loyalty = true;
          break;
        case 'rfm':
          out.rfm = true;
          break;
      }
    }
  };
  segmentIds.forEach(visit);
  return {
    eventNames: [...names].sort(),
    eventsSince: eventsAllTime ? null : new Date(events),
    ...out,
    ordersSince: ordersAllTime ? null : new Date(orders),
  };
}
