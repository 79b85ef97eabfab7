import { describe, expect, it } from 'vitest';
import { validate, type Fault, type ScenarioNode } from '../../../src/domain/scenarios/index.js';
import { api, def, send } from './fixtures.js';

const faultOf = (faults: Fault[], nodeId: string | undefined, re: RegExp) => faults.find((f) => f.node_id === nodeId && re.test(`${f.path} ${f.message}`));

function expectFault(nodes: ScenarioNode[], nodeId: string | undefined, re: RegExp, extra: Parameters<typeof validate>[1] = undefined) {
  const faults = validate(def(nodes), extra);
  const f = faultOf(faults, nodeId, re);
  expect(f, `expected a fault on ${nodeId} matching ${re}; got ${JSON.stringify(faults)}`).toBeDefined();
  return faults;
}

describe('scenario validation', () => {
  it('accepts a valid graph', () => {
    expect(validate(def([api('a'), send('a', 'w'), { id: 'w', type: 'wait', config: { duration: 'PT1H' }, next: 'x' }, { id: 'x', type: 'exit' }]))).toEqual([]);
  });

  it('reports an unknown node type', () => {
    expectFault([api('a'), { id: 'a', type: 'teleport' }], 'a', /nodes\.1\.type is not a known node type/);
  });

  it('reports a missing or repeated node id', () => {
    const faults = validate(def([api('a'), send('a'), send('a')]));
    expect(faults).toContainEqual({ node_id: 'a', path: 'nodes.2.id', message: 'repeats the node id a' });
    expect(validate(def([api(), { type: 'exit' } as unknown as ScenarioNode]))).toContainEqual(expect.objectContaining({ path: 'nodes.1.id' }));
  });

  it('reports a next that names no node', () => {
    const faults = validate(def([api('a'), send('a', 'nowhere')]));
    expect(faults).toContainEqual({ node_id: 'a', path: 'nodes.1.next', message: 'names a node that does not exist: nowhere' });
  });

  it('reports a branch that names no node', () => {
    const nodes: ScenarioNode[] = [
      api('c'),
      { id: 'c', type: 'condition', config: { conditions: { field: 'data.x', op: 'eq', value: 1 } }, branches: { yes: 'ghost', no: 'e' } },
      { id: 'e', type: 'exit' },
    ];
    expect(validate(def(nodes))).toContainEqual({ node_id: 'c', path: 'nodes.1.branches.yes', message: 'names a node that does not exist: ghost' });
  });

  it('reports a graph without a start node', () => {
    expect(validate(def([send('a')]))).toContainEqual({ path: 'nodes', message: 'has no start node (one of trigger.*)' });
    expect(validate(def([]))).toContainEqual({ path: 'nodes', message: 'must hold at least one start node' });
  });

  it('reports an edge into a start node', () => {
    const faults = validate(def([api('a'), send('a', 'start')]));
    expect(faults).toContainEqual({ node_id: 'a', path: 'nodes.1.next', message: 'leads to the start node start' });
  });

  it('reports an unreachable node', () => {
    const faults = validate(def([api('a'), send('a'), send('lonely')]));
    expect(faults).toContainEqual({ node_id: 'lonely', path: 'nodes.2', message: 'is unreachable: no start node leads to lonely' });
  });

  it('reports dead ends: a wait, a start or a promo_code without next', () => {
    const faults = validate(def([api('w'), { id: 'w', type: 'wait', config: { duration: 'PT1H' } }]));
    expect(faults).toContainEqual({ node_id: 'w', path: 'nodes.1.next', message: 'is required: the instance would stop at this wait (dead end)' });
    expect(faultOf(validate(def([api()])), 'start', /dead end/)).toBeDefined();
    expect(faultOf(validate(def([api('p'), { id: 'p', type: 'promo_code', config: { pool_id: 'x' } }])), 'p', /dead end/)).toBeDefined();
  });

  it('lets exit, goal, send, update_profile, loyalty_points and webhook end the instance', () => {
    for (const node of [
      { id: 'n', type: 'exit' },
      { id: 'n', type: 'goal', config: { name: 'g' } },
      send('n'),
      { id: 'n', type: 'update_profile', config: { set: { a: 1 } } },
      { id: 'n', type: 'loyalty_points', config: { program_id: 'p', action: 'accrue', points: 5 } },
      { id: 'n', type: 'webhook', config: { url: 'https://x.example/h', method: 'POST' } },
    ] as ScenarioNode[])
      expect(validate(def([api('n'), node])), node.type).toEqual([]);
  });

  it('reports an exit with a next', () => {
    expectFault([api('x'), { id: 'x', type: 'exit', next: 'a' }, send('a')], 'x', /exit ends the instance and has no next/);
  });

  it('reports a loop without a wait, and accepts one through a wait', () => {
    const loop: ScenarioNode[] = [
      api('a'),
      send('a', 'b'),
      { id: 'b', type: 'update_profile', config: { set: { n: 1 } }, next: 'a' },
    ];
    const faults = validate(def(loop));
    expect(faults).toContainEqual({ node_id: 'a', path: 'nodes.1', message: 'is in a loop without a wait: a → b → a' });
    const selfLoop = validate(def([api('a'), send('a', 'a')]));
    expect(faultOf(selfLoop, 'a', /loop without a wait: a → a/)).toBeDefined();
    const withWait: ScenarioNode[] = [api('a'), send('a', 'w'), { id: 'w', type: 'wait', config: { duration: 'P1D' }, next: 'a' }];
    expect(validate(def(withWait))).toEqual([]);
  });

  it('requires the branches of condition, wait_event and split', () => {
    const cond = expectFault(
      [api('c'), { id: 'c', type: 'condition', config: { conditions: { field: 'data.x', op: 'exists', value: true } }, branches: { yes: 'e' } }, { id: 'e', type: 'exit' }],
      'c',
      /branches\.no is required: a condition needs the branch no/,
    );
    expect(cond).toHaveLength(1);
    expectFault([api('w'), { id: 'w', type: 'wait_event', config: { event: 'x', timeout: 'PT1H' }, branches: { received: 'e' } }, { id: 'e', type: 'exit' }], 'w', /branches\.timeout is required/);
    expectFault(
      [api('s'), { id: 's', type: 'split', config: { variants: [{ label: 'a', weight: 1 }, { label: 'b', weight: 1 }] }, branches: { a: 'e' } }, { id: 'e', type: 'exit' }],
      's',
      /branches\.b is required: a split needs the branch b/,
    );
  });

  it('reports unknown branch labels and next on a branching node', () => {
    const nodes: ScenarioNode[] = [
      api('c'),
      { id: 'c', type: 'condition', config: { conditions: { field: 'data.x', op: 'exists', value: true } }, branches: { yes: 'e', no: 'e', maybe: 'e' }, next: 'e' },
      { id: 'e', type: 'exit' },
      send('s', undefined),
    ];
    const faults = validate(def(nodes));
    expect(faultOf(faults, 'c', /branches\.maybe is not a branch of condition \(yes, no\)/)).toBeDefined();
    expect(faultOf(faults, 'c', /next condition continues through its branches/)).toBeDefined();
    expect(faultOf(validate(def([api('a'), { ...send('a'), branches: { x: 'a' } }])), 'a', /send has no branches/)).toBeDefined();
  });

  it('reports bad split weights and labels', () => {
    const faults = validate(
      def([
        api('s'),
        { id: 's', type: 'split', config: { variants: [{ label: 'a', weight: 0 }, { label: 'a', weight: 2 }, { label: 'c', weight: -1 }] }, branches: { a: 'e', c: 'e' } },
        { id: 'e', type: 'exit' },
      ]),
    );
    expect(faults).toContainEqual({ node_id: 's', path: 'nodes.1.config.variants.0.weight', message: 'must be a positive number' });
    expect(faults).toContainEqual({ node_id: 's', path: 'nodes.1.config.variants.1.label', message: 'repeats the label a' });
    expect(faults).toContainEqual({ node_id: 's', path: 'nodes.1.config.variants.2.weight', message: 'must be a positive number' });
    expectFault([api('s'), { id: 's', type: 'split', config: { variants: [{ label: 'a', weight: 1 }] }, branches: { a: 'e' } }, { id: 'e', type: 'exit' }], 's', /at least two variants/);
  });

  describe('config per node type', () => {
    const cases: [string, ScenarioNode, RegExp][] = [
      ['trigger.event without event', { id: 'start', type: 'trigger.event', config: {}, next: 'e' }, /config\.event must be an event name/],
      ['trigger.event with a bad where', { id: 'start', type: 'trigger.event', config: { event: 'x', where: { amount: { bogus: 1 } } }, next: 'e' }, /config\.where\.amount/],
      ['trigger.date without a date-time', { id: 'start', type: 'trigger.date', config: { at: 'tomorrow', segment_id: 's' }, next: 'e' }, /config\.at must be an ISO 8601 date-time/],
      ['trigger.schedule with a bad cron', { id: 'start', type: 'trigger.schedule', config: { cron: '99 * * *', segment_id: 's' }, next: 'e' }, /config\.cron is not a valid cron pattern/],
      ['trigger.schedule with a bad time zone', { id: 'start', type: 'trigger.schedule', config: { cron: '0 10 * * *', segment_id: 's', timezone: 'Moon/Base' }, next: 'e' }, /config\.timezone must be an IANA time zone/],
      ['trigger.segment_entry without a segment', { id: 'start', type: 'trigger.segment_entry', config: {}, next: 'e' }, /config\.segment_id must be a segment id/],
      ['trigger.field_date on a non-field', { id: 'start', type: 'trigger.field_date', config: { field: 'birthday', offset: 'soon', time: '25:00' }, next: 'e' }, /config\.field must name a profile field/],
    ];
    for (const [name, start, re] of cases)
      it(name, () => {
        expectFault([start, { id: 'e', type: 'exit' }], 'start', re);
      });

    it('trigger.field_date offset and time', () => {
      const faults = validate(def([{ id: 'start', type: 'trigger.field_date', config: { field: 'fields.b', offset: 'soon', time: '25:00' }, next: 'e' }, { id: 'e', type: 'exit' }]));
      expect(faults.map((f) => f.path).sort()).toEqual(['nodes.0.config.offset', 'nodes.0.config.time']);
    });

    const steps: [string, ScenarioNode, RegExp][] = [
      ['send with an unknown channel', { id: 'n', type: 'send', config: { channel: 'fax', template_id: 't' } }, /config\.channel must be one of email, sms, push, telegram/],
      ['send without template', { id: 'n', type: 'send', config: { channel: 'email' } }, /config\.template_id must be a template id/],
      ['wait with neither duration nor time', { id: 'n', type: 'wait', config: {}, next: 'e' }, /config must hold either duration or until_time/],
      ['wait with both', { id: 'n', type: 'wait', config: { duration: 'PT1H', until_time: '10:00' }, next: 'e' }, /either duration or until_time/],
      ['wait with a bad duration', { id: 'n', type: 'wait', config: { duration: '1 hour' }, next: 'e' }, /config\.duration must be a positive ISO 8601 duration/],
      ['wait with a negative duration', { id: 'n', type: 'wait', config: { duration: '-PT1H' }, next: 'e' }, /config\.duration must be a positive/],
      ['wait with a bad time of day', { id: 'n', type: 'wait', config: { until_time: '7pm' }, next: 'e' }, /config\.until_time must be a time of day HH:MM/],
      ['wait_event without timeout', { id: 'n', type: 'wait_event', config: { event: 'x' }, branches: { received: 'e', timeout: 'e' } }, /config\.timeout must be a positive ISO 8601 duration/],
      ['wait_event with a bad match', { id: 'n', type: 'wait_event', config: { event: 'x', timeout: 'PT1H', match: { 'properties.a b': 'data.x' } }, branches: { received: 'e', timeout: 'e' } }, /config\.match\.properties\.a b is not an event path/],
      ['condition with a bad tree', { id: 'n', type: 'condition', config: { conditions: { field: 'data.total', op: 'near', value: 1 } }, branches: { yes: 'e', no: 'e' } }, /config\.conditions\.op must be one of/],
      ['condition on an unknown source', { id: 'n', type: 'condition', config: { conditions: { field: 'basket.total', op: 'eq', value: 1 } }, branches: { yes: 'e', no: 'e' } }, /config\.conditions\.field is not a known field/],
      ['condition without conditions', { id: 'n', type: 'condition', config: {}, branches: { yes: 'e', no: 'e' } }, /config\.conditions is required/],
      ['promo_code without pool', { id: 'n', type: 'promo_code', config: {}, next: 'e' }, /config\.pool_id must be a pool id/],
      ['loyalty_points with a bad action', { id: 'n', type: 'loyalty_points', config: { program_id: 'p', action: 'steal', points: 5 } }, /config\.action must be accrue or redeem/],
      ['loyalty_points with fractional points', { id: 'n', type: 'loyalty_points', config: { program_id: 'p', action: 'accrue', points: 1.5 } }, /config\.points must be a positive whole number/],
      ['loyalty_points without points nor promotion', { id: 'n', type: 'loyalty_points', config: { program_id: 'p', action: 'accrue' } }, /config\.points must be a positive whole number \(or left out with a promotion_id\)/],
      ['update_profile with nothing to set', { id: 'n', type: 'update_profile', config: { set: {} } }, /config\.set must be an object/],
      ['webhook with a bad url', { id: 'n', type: 'webhook', config: { url: 'ftp://x', method: 'POST' } }, /config\.url must be an http\(s\) URL/],
      ['webhook with a bad method', { id: 'n', type: 'webhook', config: { url: 'https://x.example', method: 'BREW' } }, /config\.method must be one of/],
      ['goal without a name', { id: 'n', type: 'goal', config: {} }, /config\.name must be a goal name/],
    ];
    for (const [name, node, re] of steps)
      it(name, () => {
        expectFault([api('n'), node, { id: 'e', type: 'exit' }], 'n', re);
      });

    it('accepts conditions on data, loyalty, order and segment leaves', () => {
      const tree = {
        all: [
          { field: 'data.cart.total', op: 'gte', value: 100 },
          { field: 'loyalty.balance', op: 'gt', value: 0 },
          { field: 'order.status', op: 'eq', value: 'paid' },
          { field: 'fields.city', op: 'eq', value: 'Berlin' },
          { event: 'order_placed', within: 'P30D' },
          { rfm: { m: [4, 5] } },
        ],
      };
      expect(validate(def([api('c'), { id: 'c', type: 'condition', config: { conditions: tree }, branches: { yes: 'e', no: 'e' } }, { id: 'e', type: 'exit' }]))).toEqual([]);
    });
  });

  it('reports missing templates, pools, segments, programs and promotions when refs are given', () => {
    const nodes: ScenarioNode[] = [
      { id: 'start', type: 'trigger.segment_entry', config: { segment_id: 'seg-x' }, next: 'code' },
      { id: 'code', type: 'promo_code', config: { pool_id: 'pool-x' }, next: 'mail' },
      send('mail', 'pts', 'tpl-x'),
      { id: 'pts', type: 'loyalty_points', config: { program_id: 'prog-x', action: 'accrue', promotion_id: 'promo-x' } },
    ];
    const refs = { templates: new Set(['tpl-1']), pools: new Set(['pool-1']), segments: new Set(['seg-1']), programs: new Set(['prog-1']), promotions: new Set(['promo-1']) };
    const faults = validate(def(nodes), refs);
    expect(faults).toEqual(
      expect.arrayContaining([
        { node_id: 'start', path: 'nodes.0.config.segment_id', message: 'names a segment that does not exist: seg-x' },
        { node_id: 'code', path: 'nodes.1.config.pool_id', message: 'names a pool that does not exist: pool-x' },
        { node_id: 'mail', path: 'nodes.2.config.template_id', message: 'names a template that does not exist: tpl-x' },
        { node_id: 'pts', path: 'nodes.3.config.program_id', message: 'names a program that does not exist: prog-x' },
        { node_id: 'pts', path: 'nodes.3.config.promotion_id', message: 'names a promotion that does not exist: promo-x' },
      ]),
    );
    expect(faults).toHaveLength(5);
    expect(validate(def(nodes))).toEqual([]);
  });

  it('reports bad settings', () => {
    const faults = validate({
      settings: { reentry: 'sometimes', exit_on: [{ event: '' }], goal: { event: 'buy', within: 'soon' }, max_active_per_profile: 0, timezone: 'Mars/Olympus', holdout_percent: 150 } as never,
      nodes: [api('e'), { id: 'e', type: 'exit' }],
    });
    expect(faults.map((f) => f.path).sort()).toEqual([
      'settings.exit_on.0.event',
      'settings.goal.within',
      'settings.holdout_percent',
      'settings.max_active_per_profile',
      'settings.reentry',
      'settings.timezone',
    ]);
  });

  it('lists every fault at once', () => {
    const faults = validate(def([send('orphan', 'ghost'), { id: 'x', type: 'nope' }]));
    expect(faults.length).toBeGreaterThanOrEqual(4);
  });
});
