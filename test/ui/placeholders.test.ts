import { describe, expect, it } from 'vitest';
import { placeholdersOf, substitute } from '../../web/src/pages/scenarios/placeholders.js';

describe('classic scenario template placeholders', () => {
  const nodes = [
    { id: 'start', type: 'trigger.segment_entry', config: { segment_id: 'segment:new_buyers' }, next: 'code' },
    { id: 'code', type: 'promo_code', config: { pool_id: 'pool:welcome' }, next: 'mail', branches: { failed: 'mail' } },
    { id: 'mail', type: 'send', config: { channel: 'email', template_id: 'tpl:welcome', require_subscription: true }, next: 'again' },
    { id: 'again', type: 'send', config: { channel: 'email', template_id: 'tpl:welcome' } },
    { id: 'end', type: 'exit' },
  ];

  it('finds each placeholder once, in order', () => {
    expect(placeholdersOf(nodes)).toEqual([
      { kind: 'segment', key: 'new_buyers', text: 'segment:new_buyers' },
      { kind: 'pool', key: 'welcome', text: 'pool:welcome' },
      { kind: 'tpl', key: 'welcome', text: 'tpl:welcome' },
    ]);
  });

  it('puts the chosen ids in and drops what was left unchosen, leaving the rest of the graph as it was', () => {
    const out = substitute(nodes, { 'tpl:welcome': 'T-1', 'segment:new_buyers': 'S-1' });
    expect(out[0].config).toEqual({ segment_id: 'S-1' });
    expect(out[1]).toEqual({ id: 'code', type: 'promo_code', config: {}, next: 'mail', branches: { failed: 'mail' } });
    expect(out[2].config).toEqual({ channel: 'email', template_id: 'T-1', require_subscription: true });
    expect(out[3].config?.template_id).toBe('T-1');
    expect(out[4]).toBe(nodes[4]);
    expect(placeholdersOf(out)).toEqual([]);
  });
});
