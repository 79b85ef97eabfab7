import { describe, expect, it } from 'vitest';
import { placeholdersOf } from '../../web/src/pages/scenarios/placeholders.js';

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
});
